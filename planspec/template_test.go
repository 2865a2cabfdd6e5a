package planspec

import (
	"reflect"
	"strings"
	"testing"
)

func isUsers(name string) bool { return name == "users" || name == "data" }

func TestParseTemplate(t *testing.T) {
	lit := func(s string) Part { return Part{Kind: PartLiteral, Lit: s} }
	for _, tc := range []struct {
		in    string
		parts []Part
		str   string // String(); "" means in
	}{
		{"", nil, ""},
		{"plain $ text {}", []Part{lit("plain $ text {}")}, ""},
		{"Bearer ${token}", []Part{lit("Bearer "), {Kind: PartVar, Name: "token"}}, ""},
		{"${ token }", []Part{{Kind: PartVar, Name: "token"}}, "${token}"},
		{"$${literal}", []Part{lit("${literal}")}, ""},
		{"$$${x}", []Part{lit("$${x}")}, "$$${x}"},
		{"a$${b}${c}", []Part{lit("a${b}"), {Kind: PartVar, Name: "c"}}, ""},
		{"${env.HOME}", []Part{{Kind: PartEnv, Name: "HOME"}}, ""},
		{"${env.R:-eu-west-1}", []Part{{Kind: PartEnv, Name: "R", Field: "eu-west-1", HasDefault: true}}, ""},
		{"${env.R:-}", []Part{{Kind: PartEnv, Name: "R", HasDefault: true}}, ""},
		{"${users.name}/${users.pass word}", []Part{{Kind: PartFeeder, Name: "users", Field: "name"}, lit("/"), {Kind: PartFeeder, Name: "users", Field: "pass word"}}, ""},
		{"${__vu}-${__iter}-${__uuid}-${__timestamp}", []Part{{Kind: PartBuiltin, Name: BuiltinVU}, lit("-"), {Kind: PartBuiltin, Name: BuiltinIter}, lit("-"), {Kind: PartBuiltin, Name: BuiltinUUID}, lit("-"), {Kind: PartBuiltin, Name: BuiltinTimestamp}}, ""},
		{"${__randInt( -5 , 10 )}", []Part{{Kind: PartBuiltin, Name: BuiltinRandInt, Min: -5, Max: 10}}, "${__randInt(-5,10)}"},
		{"}${x}}", []Part{lit("}"), {Kind: PartVar, Name: "x"}, lit("}")}, ""},
	} {
		tmpl, err := ParseTemplate(tc.in, isUsers)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(tmpl.Parts, tc.parts) || tmpl.Src != tc.in {
			t.Errorf("ParseTemplate(%q) = %+v; want %+v", tc.in, tmpl.Parts, tc.parts)
		}
		want := tc.str
		if want == "" {
			want = tc.in
		}
		if got := tmpl.String(); got != want {
			t.Errorf("ParseTemplate(%q).String() = %q; want %q", tc.in, got, want)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"${x", "unclosed ${ at offset 0 (write $${ for a literal ${)"},
		{"ok ${x} ${y", "unclosed ${ at offset 8"},
		{"${}", "${} at offset 0: empty reference"},
		{"a${ }", "${ } at offset 1: empty reference"},
		{"${env}", "write ${env.NAME}"},
		{"${env.}", `environment variable name "" is not an identifier`},
		{"${env.A-B}", `environment variable name "A-B" is not an identifier`},
		{"${x.y}", `"x" is not a feeder (declare it under data:)`},
		{"${users.}", `missing column after "users."`},
		{"${1x}", `"1x" is not a variable name`},
		{"${a b}", `"a b" is not a variable name`},
		{"${__vu(1)}", "__vu takes no arguments"},
		{"${__randInt}", "write __randInt(min,max)"},
		{"${__randInt(1)}", "write __randInt(min,max)"},
		{"${__randInt(a,2)}", "__randInt bounds must be integers"},
		{"${__randInt(3,2)}", "__randInt(3,2): min is above max"},
		{"${__rand}", `unknown built-in "__rand"`},
	} {
		_, err := ParseTemplate(tc.in, isUsers)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseTemplate(%q) error = %v; want %q", tc.in, err, tc.msg)
		}
	}
	// Without a feeder function, a dotted name is never a feeder.
	if _, err := ParseTemplate("${users.name}", nil); err == nil {
		t.Error("feeder reference accepted without feeders")
	}
	tmpl, _ := ParseTemplate("a${x}b${__vu}", nil)
	if tmpl.Static() || len(tmpl.Refs()) != 2 {
		t.Errorf("Static/Refs of %q", tmpl.Src)
	}
	if tmpl, _ := ParseTemplate("a$${x}", nil); !tmpl.Static() || tmpl.Refs() != nil {
		t.Error("escaped template is not static")
	}
}
