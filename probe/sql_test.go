package probe

import (
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/probe/probetest"
)

func TestSQLProbe(t *testing.T) {
	one := func(v string) []probetest.Reply { return []probetest.Reply{{Stdout: v + "\n"}} }
	runTyped(t, []typedCase{
		{"equals", "sql: {query: 'SELECT COUNT(*) FROM orders', equals: '0'}", one("0"), Pass, "0", ""},
		{"equals fails", "sql: {query: 'SELECT COUNT(*) FROM orders', equals: '0'}", one("12"), Fail, "12", `"12", want "0"`},
		{"match", "sql: {query: 'SELECT @@version', match: '^10\\.11'}", one("10.11.6-MariaDB-0+deb12u1"), Pass, "10.11.6-MariaDB-0+deb12u1", ""},
		{"range", "sql: {query: 'SELECT 1', min: 1, max: 5}", one("7"), Fail, "7", "7 is above 5"},
		{"null is not a number", "sql: {query: 'SELECT NULL', min: 1}", one("NULL"), Fail, "NULL", `"NULL" is not a number`},
		{"two rows", "sql: {query: 'SELECT id FROM t', equals: '1'}", one("1\n2"), Error, "", "want one value, got 2 rows"},
		{"two columns", "sql: {query: 'SELECT 1, 2', equals: '1'}", one("1\t2"), Error, "", "want one value"},
		{"no rows", "sql: {query: 'SELECT 1 FROM t WHERE 0', equals: '1'}", one(""), Error, "", "want one value"},
		{"query error", "sql: {query: 'SELECT * FROM nope', equals: '1'}",
			[]probetest.Reply{{Exit: 1, Stderr: "ERROR 1146 (42S02) at line 1: Table 'shop.nope' doesn't exist\n"}}, Error, "", "ERROR 1146"},
		{"client missing", "sql: {query: 'SELECT 1', equals: '1'}", []probetest.Reply{{Exit: 127}}, Error, "", "the mariadb (or mysql) client missing in vm web"},
	})
}

// TestSQLQueryOnStdin: the lab's query reaches the client on stdin; the
// command is vlab's own and names only the database, quoted.
func TestSQLQueryOnStdin(t *testing.T) {
	q := "SELECT COUNT(*) FROM orders WHERE note = '$(reboot)'"
	lab := typedLab(t, "sql: {query: \""+q+"\", database: shop, equals: '0'}")
	_, g, _ := checkTyped(t, lab, replies(probetest.Reply{Stdout: "0\n"}))
	cmds, stdins := g.Cmds()
	if len(cmds) != 1 || stdins[0] != q+";\n" {
		t.Fatalf("stdin %q, want the query and a semicolon", stdins)
	}
	if strings.Contains(cmds[0], "orders") || !strings.Contains(cmds[0], "--database=shop") || !strings.Contains(cmds[0], "--skip-column-names") {
		t.Errorf("command %q", cmds[0])
	}
}

func TestReplicationLagProbe(t *testing.T) {
	status := func(io, sqlRunning, lag string) []probetest.Reply {
		return []probetest.Reply{{Stdout: "Slave_IO_State\tMaster_Host\tSlave_IO_Running\tSlave_SQL_Running\tSeconds_Behind_Master\n" +
			"Waiting for master\tdb1\t" + io + "\t" + sqlRunning + "\t" + lag + "\n"}}
	}
	runTyped(t, []typedCase{
		{"close", "replication-lag: {max: 30s}", status("Yes", "Yes", "3"), Pass, "3s behind", ""},
		{"far behind", "replication-lag: {max: 30s}", status("Yes", "Yes", "45"), Fail, "45s behind", "45s behind, want at most 30s behind"},
		{"in sync wanted", "replication-lag: {max: 0}", status("Yes", "Yes", "0"), Pass, "0s behind", ""},
		{"stopped", "replication-lag: {max: 30s}", status("Yes", "No", "NULL"), Fail, "replication stopped (IO Yes, SQL No)", "want at most 30s behind"},
		{"not a replica", "replication-lag: {max: 30s}", []probetest.Reply{{}}, Fail, "not a replica", "not a replica"},
		{"garbage", "replication-lag: {max: 30s}", status("Yes", "Yes", "soon"), Error, "", `Seconds_Behind_Master is "soon"`},
		{"access denied", "replication-lag: {max: 30s}", []probetest.Reply{{Exit: 1, Stderr: "ERROR 1227 (42000): Access denied"}}, Error, "", "Access denied"},
	})
}
