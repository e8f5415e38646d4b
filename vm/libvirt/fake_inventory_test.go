package libvirt

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// The fake's listing and metadata calls, as libvirtd answers them.

// NodeGetMemoryStats answers a host of 8 GiB with 2 GiB free, 512 MiB of
// buffers and 1 GiB cached, asked for the count first as libvirtd wants.
func (f *fakeLibvirt) NodeGetMemoryStats(n int32, cell int32, _ uint32) ([]golibvirt.NodeGetMemoryStats, int32, error) {
	stats := []golibvirt.NodeGetMemoryStats{{Field: "total", Value: 8 << 20}, {Field: "free", Value: 2 << 20},
		{Field: "buffers", Value: 512 << 10}, {Field: "cached", Value: 1 << 20}}
	if cell != allCells {
		return nil, 0, errors.New("fake: only the whole host")
	}
	if n == 0 {
		return nil, int32(len(stats)), nil
	}
	return stats[:n], n, nil
}

func (f *fakeLibvirt) ConnectListAllDomains(_ int32, _ golibvirt.ConnectListAllDomainsFlags) ([]golibvirt.Domain, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []golibvirt.Domain
	for n := range f.domains {
		out = append(out, golibvirt.Domain{Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, uint32(len(out)), nil
}

func (f *fakeLibvirt) ConnectListAllNetworks(_ int32, _ golibvirt.ConnectListAllNetworksFlags) ([]golibvirt.Network, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []golibvirt.Network
	for n := range f.networks {
		out = append(out, golibvirt.Network{Name: n})
	}
	return out, uint32(len(out)), nil
}

func (f *fakeLibvirt) NetworkGetXMLDesc(n golibvirt.Network, _ uint32) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, ok := f.networks[n.Name]
	if !ok {
		return "", lverr(golibvirt.ErrNoNetwork, "Network not found: %s", n.Name)
	}
	return x, nil
}

// DomainSetMetadata writes the element the way libvirtd does: with key as
// the namespace prefix.
func (f *fakeLibvirt) DomainSetMetadata(d golibvirt.Domain, _ int32, md, key, uri golibvirt.OptString, _ golibvirt.DomainModificationImpact) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return err
	}
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x.xml); err != nil {
		return err
	}
	el := strings.Replace(md[0], "<vlab xmlns=\""+uri[0]+"\">", "<"+key[0]+":vlab xmlns:"+key[0]+"=\""+uri[0]+"\">", 1)
	el = strings.ReplaceAll(el, "<label ", "<"+key[0]+":label ")
	el = strings.ReplaceAll(el, "</label>", "</"+key[0]+":label>")
	el = strings.Replace(el, "</vlab>", "</"+key[0]+":vlab>", 1)
	dom.Metadata = &libvirtxml.DomainMetadata{XML: el}
	x.xml, err = dom.Marshal()
	return err
}

func TestInventoryFindsOnlyLabelled(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	img := testImage(t, true)
	spec := testSpec("vlab-a1-web", img)
	spec.Labels = map[string]string{"uid": "a1", "vm": "web"}
	if err := d.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	other := testSpec("vlab-b2-web", img)
	other.Labels = map[string]string{"uid": "b2", "vm": "web"}
	if err := d.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	// A domain somebody else defined, with no vlab metadata.
	f.DomainDefineXMLFlags("<domain type='qemu'><name>theirs</name></domain>", 0)
	got, err := d.FindVMs(ctx, map[string]string{"uid": "a1"})
	if err != nil || len(got) != 1 || got[0] != "vlab-a1-web" {
		t.Fatalf("FindVMs(uid=a1) = %v, %v; want [vlab-a1-web]", got, err)
	}
	if l, err := d.VMLabels(ctx, "theirs"); err != nil || len(l) != 0 {
		t.Fatalf("VMLabels(theirs) = %v, %v; want none", l, err)
	}
	if _, err := d.VMLabels(ctx, "nope"); !errors.Is(err, vm.ErrNotFound) {
		t.Fatalf("VMLabels(nope) = %v; want ErrNotFound", err)
	}
	// Labels set afterwards (Vagrant's domains) read back the same.
	if err := d.SetLabels(ctx, "theirs", map[string]string{"uid": "c3"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.FindVMs(ctx, map[string]string{"uid": "c3"}); len(got) != 1 || got[0] != "theirs" {
		t.Fatalf("FindVMs(uid=c3) after SetLabels = %v", got)
	}
}

func TestEnsureNetworkJoinsOnlyItsOwn(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	mine := map[string]string{"uid": "a1"}
	if err := d.EnsureNetwork(ctx, "vlab-a1-net-back", mine); err != nil {
		t.Fatal(err)
	}
	if err := d.EnsureNetwork(ctx, "vlab-a1-net-back", mine); err != nil {
		t.Fatalf("second EnsureNetwork of its own network: %v", err)
	}
	if err := d.EnsureNetwork(ctx, "vlab-a1-net-back", map[string]string{"uid": "b2"}); !errors.Is(err, vm.ErrExists) {
		t.Fatalf("EnsureNetwork of another instance's network = %v; want ErrExists", err)
	}
	f.NetworkCreateXML("<network><name>default</name></network>")
	if err := d.EnsureNetwork(ctx, "default", mine); !errors.Is(err, vm.ErrExists) {
		t.Fatalf("EnsureNetwork of an unlabelled network = %v; want ErrExists", err)
	}
	if got, _ := d.FindNetworks(ctx, mine); len(got) != 1 || got[0] != "vlab-a1-net-back" {
		t.Fatalf("FindNetworks = %v", got)
	}
}

// TestAvailableMemory: free, buffers and cache count; the total does not.
func TestAvailableMemory(t *testing.T) {
	d, _ := testDriver(t)
	got, err := d.AvailableMemory(context.Background())
	if want := uint64(3584) << 20; err != nil || got != want {
		t.Errorf("AvailableMemory = %d, %v; want %d", got, err, want)
	}
}
