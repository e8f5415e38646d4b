package instance

import "path/filepath"

// DefaultDriver is the driver an instance records when the Manager names none.
const DefaultDriver = "libvirt"

// KeyFile is the private SSH key of instance id, which drivers that log in
// themselves (Vagrant) are given.
func (h Home) KeyFile(id string) (string, error) {
	dir, err := h.Instance(id)
	return filepath.Join(dir, keyFile), err
}

// DriverOf returns the driver instance id was made with; DefaultDriver when
// the instance does not exist or predates the record.
func (h Home) DriverOf(id string) string {
	dir, err := h.Instance(id)
	if err != nil {
		return DefaultDriver
	}
	st, err := LoadState(dir)
	if err != nil || st.Driver == "" {
		return DefaultDriver
	}
	return st.Driver
}

func (m *Manager) driverName() string {
	if m.DriverName == "" {
		return DefaultDriver
	}
	return m.DriverName
}
