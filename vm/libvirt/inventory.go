package libvirt

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// parseLabels reads vlab's labels from a <metadata> element's inner XML;
// a definition without vlab's element carries no labels.
func parseLabels(inner string) map[string]string {
	out := map[string]string{}
	dec := xml.NewDecoder(strings.NewReader(inner))
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "vlab" || se.Name.Space != metadataNS {
			continue
		}
		var lx labelsXML
		if dec.DecodeElement(&lx, &se) == nil {
			for _, l := range lx.Labels {
				out[l.Key] = l.Value
			}
		}
		return out
	}
}

// VMLabels returns the labels recorded in the domain's metadata.
func (d *Driver) VMLabels(ctx context.Context, name string) (map[string]string, error) {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return nil, fmt.Errorf("vm %s: %w", name, translate(err))
	}
	return d.domainLabels(dom)
}

func (d *Driver) domainLabels(dom golibvirt.Domain) (map[string]string, error) {
	x, err := d.l.DomainGetXMLDesc(dom, golibvirt.DomainXMLInactive)
	if err != nil {
		return nil, fmt.Errorf("vm %s: %w", dom.Name, translate(err))
	}
	var dx libvirtxml.Domain
	if err := dx.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("vm %s: read definition: %w", dom.Name, err)
	}
	if dx.Metadata == nil {
		return map[string]string{}, nil
	}
	return parseLabels(dx.Metadata.XML), nil
}

// NetworkLabels returns the labels recorded in the network's metadata.
func (d *Driver) NetworkLabels(ctx context.Context, name string) (map[string]string, error) {
	n, err := d.l.NetworkLookupByName(name)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, translate(err))
	}
	return d.networkLabels(n)
}

func (d *Driver) networkLabels(n golibvirt.Network) (map[string]string, error) {
	x, err := d.l.NetworkGetXMLDesc(n, 0)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", n.Name, translate(err))
	}
	var nx libvirtxml.Network
	if err := nx.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("network %s: read definition: %w", n.Name, err)
	}
	if nx.Metadata == nil {
		return map[string]string{}, nil
	}
	return parseLabels(nx.Metadata.XML), nil
}

// FindVMs lists the domains, running or not, whose labels hold match.
func (d *Driver) FindVMs(ctx context.Context, match map[string]string) ([]string, error) {
	doms, _, err := d.l.ConnectListAllDomains(1, golibvirt.ConnectListDomainsActive|golibvirt.ConnectListDomainsInactive)
	if err != nil {
		return nil, fmt.Errorf("list vms: %w", translate(err))
	}
	var out []string
	for _, dom := range doms {
		labels, err := d.domainLabels(dom)
		if errors.Is(err, vm.ErrNotFound) {
			continue // gone meanwhile
		}
		if err != nil {
			return nil, err
		}
		if vm.HasLabels(labels, match) {
			out = append(out, dom.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// FindNetworks lists the networks whose labels hold match.
func (d *Driver) FindNetworks(ctx context.Context, match map[string]string) ([]string, error) {
	nets, _, err := d.l.ConnectListAllNetworks(1, 0)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", translate(err))
	}
	var out []string
	for _, n := range nets {
		labels, err := d.networkLabels(n)
		if errors.Is(err, vm.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if vm.HasLabels(labels, match) {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// SetLabels records labels in a domain another tool defined (Vagrant's), in
// its definition and, when it runs, in its live state, replacing the labels
// it had.
func (d *Driver) SetLabels(ctx context.Context, name string, labels map[string]string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	md, err := labelsXMLText(labels)
	if err != nil {
		return err
	}
	flags := golibvirt.DomainAffectConfig
	if st, _ := d.State(ctx, name); st == vm.StateRunning || st == vm.StatePaused {
		flags |= golibvirt.DomainAffectLive
	}
	err = d.l.DomainSetMetadata(dom, int32(golibvirt.DomainMetadataElement), golibvirt.OptString{md},
		golibvirt.OptString{"vlab"}, golibvirt.OptString{metadataNS}, flags)
	if err != nil {
		return fmt.Errorf("label vm %s: %w", name, translate(err))
	}
	return nil
}
