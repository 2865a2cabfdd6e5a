package planspec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadFeederCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		cols     []string
		rows     [][]string
	}{
		{"basic", "name,password\nalice,s1\nbob,s2\n", []string{"name", "password"}, [][]string{{"alice", "s1"}, {"bob", "s2"}}},
		{"no final newline", "a\n1", []string{"a"}, [][]string{{"1"}}},
		{"BOM", "\xEF\xBB\xBFname,pw\na,b\n", []string{"name", "pw"}, [][]string{{"a", "b"}}},
		{"header trimmed, values kept", " name , pw \na , b\n", []string{"name", "pw"}, [][]string{{"a ", " b"}}},
		{"quoted fields", "name,addr\nalice,\"1 Main St, Apt 2\"\nbob,\"line1\nline2\"\ncarol,\"say \"\"hi\"\"\"\n\"d,e\",\"\"\n",
			[]string{"name", "addr"}, [][]string{{"alice", "1 Main St, Apt 2"}, {"bob", "line1\nline2"}, {"carol", `say "hi"`}, {"d,e", ""}}},
		{"CRLF", "a,b\r\n1,2\r\n3,4\r\n", []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"blank lines skipped", "\na\n1\n\n2\n", []string{"a"}, [][]string{{"1"}, {"2"}}},
		{"UTF-8", "nom,ville\nzoë,Zürich\n", []string{"nom", "ville"}, [][]string{{"zoë", "Zürich"}}},
	} {
		cols, rows, err := readFeederCSV([]byte(tc.in), "users.csv")
		if err != nil || !reflect.DeepEqual(cols, tc.cols) || !reflect.DeepEqual(rows, tc.rows) {
			t.Errorf("%s: got %q, %q, %v; want %q, %q", tc.name, cols, rows, err, tc.cols, tc.rows)
		}
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "users.csv: the file is empty; its first line must be a header naming the columns"},
		{"only a BOM and blank lines", "\xEF\xBB\xBF\n\n", "users.csv: the file is empty"},
		{"header only", "a,b\n", "users.csv: no data rows after the header (line 1); a feeder needs at least one"},
		{"header only, after blank lines", "\n\na,b\n", "users.csv: no data rows after the header (line 3)"},
		{"empty column name", "a,,b\n1,2,3\n", "users.csv:1: column 2 of the header has no name"},
		{"blank column name", "a, \n1,2\n", "users.csv:1: column 2 of the header has no name"},
		{"duplicate column", "a,b, a\n1,2,3\n", `users.csv:1: duplicate column "a" in the header (columns 1 and 3)`},
		{"too many fields", "a,b\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2,3\n", "users.csv:7: row has 3 fields, the header has 2"},
		{"too few fields", "a,b\n1\n", "users.csv:2: row has 1 field, the header has 2"},
		{"ragged after a multi-line field", "a,b\n1,\"x\ny\"\n3,4,5\n", "users.csv:4: row has 3 fields, the header has 2"},
		{"invalid UTF-8", "a,b\n1,2\n\xff,3\n", "users.csv:3: the line is not valid UTF-8 (save the file as UTF-8)"},
		{"invalid UTF-8 after a BOM", "\xEF\xBB\xBFa\xc3\n1\n", "users.csv:1: the line is not valid UTF-8"},
		{"bare quote", "a,b\n1,x\"y\n", `users.csv:2:4: bare " in non-quoted-field`},
		{"unterminated quote", "a,b\n1,2\n1,\"xy\n", `users.csv:3:`},
	} {
		_, _, err := readFeederCSV([]byte(tc.in), "users.csv")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error = %v; want prefix %q", tc.name, err, tc.want)
		}
	}
}

// feederPlan writes a plan and its CSV to a new directory and returns the
// plan's path.
func feederPlan(t *testing.T, csv, steps string) string {
	t.Helper()
	dir := t.TempDir()
	src := "version: 1\nname: t\ntarget: http://127.0.0.1:8080\ndata:\n  users: {file: users.csv, order: random}\n" +
		"scenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n" + steps
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if csv != "" {
		if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "plan.yaml")
}

const stepA = "      - name: a\n        request: {url: /a}\n"

func TestFeederLoaded(t *testing.T) {
	path := feederPlan(t, "\xEF\xBB\xBFname, pw\nalice,\"s,1\"\nbob,s2\n", stepA)
	p, err := ParseFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &FeederData{
		Name:    "users",
		Path:    filepath.Join(filepath.Dir(path), "users.csv"),
		Columns: []string{"name", "pw"},
		Rows:    [][]string{{"alice", "s,1"}, {"bob", "s2"}},
		Order:   "random",
		Share:   "all",
	}
	if got := p.Feeders["users"]; !reflect.DeepEqual(got, want) || len(p.Feeders) != 1 {
		t.Errorf("Feeders = %+v; want users: %+v", p.Feeders, want)
	}
	fd := p.Feeders["users"]
	if fd.Column("pw") != 1 || fd.Column("name") != 0 || fd.Column("nope") != -1 || (*FeederData)(nil).Column("name") != -1 {
		t.Error("Column")
	}
	if !p.IsFeeder("users") || p.IsFeeder("name") || p.IsFeeder("") {
		t.Error("IsFeeder")
	}

	// Without file checks nothing is read, but users is still a feeder.
	p, err = Parse([]byte("version: 1\nname: t\ntarget: http://h\ndata: {users: {file: gone.csv}}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: \"/a/${users.anything}\"}\n"),
		"p.yaml", Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Feeders) != 0 || !p.IsFeeder("users") {
		t.Errorf("SkipFileChecks: Feeders = %v, IsFeeder = %v", p.Feeders, p.IsFeeder("users"))
	}

	// The example's feeder.
	p = parseExample(t)
	if fd := p.Feeders["users"]; fd == nil || !reflect.DeepEqual(fd.Columns, []string{"name", "password"}) || len(fd.Rows) != 2 || fd.Order != "sequential" || fd.Share != "all" {
		t.Errorf("example feeder = %+v", fd)
	}
}

func TestFeederErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		// `file` is at line 5, column 11 of the plan.
		{"ragged row", "name,pw\na,1\nb,2\nc,3\nd,4\ne,5\nf,6,7\n", "plan.yaml:5:11: data.users: users.csv:7: row has 3 fields, the header has 2"},
		{"missing file", "", `plan.yaml:5:11: data feeder "users": cannot read "users.csv": no such file or directory`},
		{"blank", "\n", "plan.yaml:5:11: data.users: users.csv: the file is empty"},
		{"header only", "name,pw\n", "plan.yaml:5:11: data.users: users.csv: no data rows after the header (line 1)"},
		{"duplicate column", "name,name\n1,2\n", `plan.yaml:5:11: data.users: users.csv:1: duplicate column "name" in the header (columns 1 and 2)`},
		{"invalid UTF-8", "name\n\xfe\n", "plan.yaml:5:11: data.users: users.csv:2: the line is not valid UTF-8"},
	} {
		path := feederPlan(t, tc.csv, stepA)
		_, err := Parse(mustRead(t, path), "plan.yaml", Options{Dir: filepath.Dir(path)})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 || !strings.HasPrefix(list[0].Error(), tc.want) {
			t.Errorf("%s: error = %v; want %q", tc.name, err, tc.want)
			continue
		}
		if list[0].Pointer != "/data/users/file" || list[0].Err == nil {
			t.Errorf("%s: Pointer = %q, Err = %v", tc.name, list[0].Pointer, list[0].Err)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
