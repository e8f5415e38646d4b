package probe

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// mariadbClient is the name messages give the client: Debian's MariaDB
// packages install it as mariadb, older ones and MySQL's as mysql.
const mariadbClient = "the mariadb (or mysql) client"

// mariadb returns the command running the client in batch mode, as the
// guest's root (MariaDB's root account authenticates root by its unix
// socket in Debian), reading statements from stdin.
func mariadb(database string, columnNames bool) string {
	args := "--batch --connect-timeout=10"
	if !columnNames {
		args += " --skip-column-names"
	}
	if database != "" {
		args += " --database=" + quote(database)
	}
	return "export LC_ALL=C; for c in mariadb mysql; do if command -v $c >/dev/null 2>&1; then exec $c " +
		args + "; fi; done; exit " + strconv.Itoa(missingTool)
}

// statement ends a query with a semicolon when it has none.
func statement(q string) string {
	q = strings.TrimSpace(q)
	if !strings.HasSuffix(q, ";") {
		q += ";"
	}
	return q + "\n"
}

// sql runs the lab's query and judges its single value. The query is
// passed on stdin, never through the shell.
type sql struct {
	spec  labfile.SQLProbe
	match *regexp.Regexp
}

func newSQL(spec labfile.SQLProbe) (sql, error) {
	s := sql{spec: spec}
	if spec.Match != "" {
		var err error
		if s.match, err = regexp.Compile(spec.Match); err != nil {
			return s, fmt.Errorf("sql.match: %w", err)
		}
	}
	return s, nil
}

func (s sql) want() string {
	var parts []string
	if s.spec.Equals != nil {
		parts = append(parts, fmt.Sprintf("= %q", *s.spec.Equals))
	}
	if s.match != nil {
		parts = append(parts, "~ "+s.match.String())
	}
	if s.spec.Min != nil || s.spec.Max != nil {
		_, want, _ := bounds(0, s.spec.Min, s.spec.Max, "")
		parts = append(parts, want)
	}
	return strings.Join(parts, ", ")
}

func (s sql) take(ctx context.Context, g guest) (observation, error) {
	out, err := g.run(ctx, mariadbClient, mariadb(s.spec.Database, false), statement(s.spec.Query))
	if err != nil {
		return observation{}, err
	}
	if out.exit != 0 {
		return observation{}, failed("query", out)
	}
	rows := strings.Split(strings.TrimRight(out.stdout, "\n"), "\n")
	if len(rows) != 1 || rows[0] == "" || strings.Contains(rows[0], "\t") {
		return observation{}, fmt.Errorf("query: malformed answer: want one value, got %d rows: %q", len(rows), firstLine(out.stdout))
	}
	v := rows[0]
	obs := observation{ok: true, observed: firstLine(v)}
	switch {
	case s.spec.Equals != nil && v != *s.spec.Equals:
		obs.ok, obs.msg = false, fmt.Sprintf("%q, want %q", obs.observed, *s.spec.Equals)
	case s.match != nil && !s.match.MatchString(v):
		obs.ok, obs.msg = false, fmt.Sprintf("%q does not match %s", obs.observed, s.match)
	case s.spec.Min != nil || s.spec.Max != nil:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			obs.ok, obs.msg = false, fmt.Sprintf("%q is not a number", obs.observed)
			break
		}
		obs.value = &f
		obs.ok, _, obs.msg = bounds(f, s.spec.Min, s.spec.Max, "")
	}
	return obs, nil
}

// replicationLag reads SHOW SLAVE STATUS. A replica whose threads stopped
// has no lag (NULL) and fails, as does a server that is no replica: both
// are answers about the lab, not a probe that could not run.
type replicationLag struct{ max time.Duration }

func (r replicationLag) want() string { return "at most " + r.max.String() + " behind" }

func (r replicationLag) take(ctx context.Context, g guest) (observation, error) {
	out, err := g.run(ctx, mariadbClient, mariadb("", true), "SHOW SLAVE STATUS;\n")
	if err != nil {
		return observation{}, err
	}
	if out.exit != 0 {
		return observation{}, failed("SHOW SLAVE STATUS", out)
	}
	lines := strings.Split(strings.TrimRight(out.stdout, "\n"), "\n")
	if strings.TrimSpace(out.stdout) == "" {
		return observation{observed: "not a replica", msg: "SHOW SLAVE STATUS is empty: the server is not a replica"}, nil
	}
	if len(lines) < 2 {
		return observation{}, fmt.Errorf("SHOW SLAVE STATUS: malformed answer %q", firstLine(out.stdout))
	}
	names := strings.Split(lines[0], "\t")
	col := func(row []string, name string) string {
		for i, n := range names {
			if n == name && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	worst := observation{ok: true}
	var most float64 = -1
	for _, line := range lines[1:] {
		row := strings.Split(line, "\t")
		lag := col(row, "Seconds_Behind_Master")
		if lag == "NULL" {
			seen := fmt.Sprintf("replication stopped (IO %s, SQL %s)", col(row, "Slave_IO_Running"), col(row, "Slave_SQL_Running"))
			return observation{observed: seen, msg: seen + ", want " + r.want()}, nil
		}
		secs, err := strconv.ParseFloat(lag, 64)
		if err != nil {
			return observation{}, fmt.Errorf("SHOW SLAVE STATUS: Seconds_Behind_Master is %q, not a number", firstLine(lag))
		}
		if secs > most {
			most = secs
			worst.value, worst.observed = &secs, num(secs)+"s behind"
		}
	}
	if most > r.max.Seconds() {
		worst.ok, worst.msg = false, fmt.Sprintf("%s, want %s", worst.observed, r.want())
	}
	return worst, nil
}
