package jmx

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func decodeFile(t *testing.T, path string) *Document {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode(src, path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestDecodeSample(t *testing.T) {
	doc := decodeFile(t, "testdata/sample.jmx")
	if doc.JMeter != "5.6.3" || doc.Version != "1.2" {
		t.Errorf("root attributes: %+v", doc)
	}
	if len(doc.Elements) != 1 || doc.Elements[0].Tag != "TestPlan" {
		t.Fatalf("top level: %+v", doc.Elements)
	}
	plan := doc.Elements[0]
	vars := plan.Prop("TestPlan.user_defined_variables")
	if vars == nil || vars.ElementType != "Arguments" || vars.Attr("testname") != "User Defined Variables" {
		t.Fatalf("user defined variables: %+v", vars)
	}
	host := vars.Prop("Arguments.arguments").Props[0]
	if host.String("Argument.value") != "${__P(host,example.com)}" {
		t.Errorf("argument value %q", host.String("Argument.value"))
	}
	if len(plan.Children) != 2 {
		t.Fatalf("plan children: %d", len(plan.Children))
	}
	tg := plan.Children[0]
	if tg.TestName != `Users & "friends"` || tg.Disabled || tg.Line != 17 {
		t.Errorf("thread group: name %q disabled %v line %d", tg.TestName, tg.Disabled, tg.Line)
	}
	if n, ok := tg.Int("ThreadGroup.num_threads"); !ok || n != 2 {
		t.Errorf("num_threads %d %v", n, ok)
	}
	if loops := tg.Prop("ThreadGroup.main_controller").String("LoopController.loops"); loops != "3" {
		t.Errorf("loops %q", loops)
	}
	sampler := tg.Children[0]
	if !sampler.Disabled || sampler.TestName != "post, with <body>" {
		t.Errorf("sampler: %+v", sampler)
	}
	if raw, ok := sampler.Bool("HTTPSampler.postBodyRaw"); !ok || !raw {
		t.Errorf("postBodyRaw %v %v", raw, ok)
	}
	body := sampler.Prop("HTTPsampler.Arguments").Prop("Arguments.arguments").Props[0].String("Argument.value")
	if body != "{\"a\":1,\n\"b\":\"x\ry\"}" {
		t.Errorf("body %q", body)
	}
	ctt := tg.Children[1]
	if p := ctt.Prop("throughput"); p == nil || p.Kind != DoubleProp || p.Value != "120.0" || p.SavedValue != "0.0" {
		t.Errorf("throughput: %+v", p)
	}
	rc := plan.Children[1]
	save := rc.Prop("saveConfig")
	if save == nil || save.ValueClass != "SampleSaveConfiguration" || !reflect.DeepEqual(save.Fields, []Attr{{"time", "true"}, {"latency", "true"}}) {
		t.Errorf("saveConfig: %+v", save)
	}
	var paths []string
	Walk(doc.Elements, func(anc []*Element, e *Element) bool {
		paths = append(paths, Path(anc, e))
		return true
	})
	want := []string{"Test Plan", `Test Plan/Users & "friends"`, `Test Plan/Users & "friends"/post, with <body>`,
		`Test Plan/Users & "friends"/CTT`, "Test Plan/Simple Data Writer"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths\n got %q\nwant %q", paths, want)
	}
}

// stripPos clears source positions so that decoded trees compare equal.
func stripPos(elems []*Element) {
	Walk(elems, func(_ []*Element, e *Element) bool {
		e.Line, e.Col = 0, 0
		var clear func(ps []*Prop)
		clear = func(ps []*Prop) {
			for _, p := range ps {
				p.Line, p.Col = 0, 0
				clear(p.Props)
			}
		}
		clear(e.Props)
		return true
	})
}

func TestEncodeRoundTrip(t *testing.T) {
	doc := decodeFile(t, "testdata/sample.jmx")
	var buf bytes.Buffer
	if err := Encode(&buf, doc); err != nil {
		t.Fatal(err)
	}
	again, err := Decode(buf.Bytes(), "encoded")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	stripPos(doc.Elements)
	stripPos(again.Elements)
	if !reflect.DeepEqual(doc, again) {
		t.Errorf("round trip changed the tree:\n%s", buf.String())
	}
	// And encoding is stable.
	var buf2 bytes.Buffer
	if err := Encode(&buf2, again); err != nil {
		t.Fatal(err)
	}
	if buf.String() != buf2.String() {
		t.Error("encoding is not stable")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"empty", "", "1:1: empty document"},
		{"not jmx", "<project/>", "1:1: root element is <project>"},
		{"unclosed", "<jmeterTestPlan>\n<hashTree>\n<TestPlan testname=\"p\">\n", "unexpected end of file"},
		{"malformed", "<jmeterTestPlan>\n<hashTree>\n<TestPlan testname=\"p\"></Plan>", "3:"},
		{"missing hashTree", "<jmeterTestPlan><hashTree>\n  <TestPlan testname=\"p\"/>\n  <ThreadGroup testname=\"t\"/><hashTree/></hashTree></jmeterTestPlan>",
			`x.jmx:2:3: <TestPlan> "p" is not followed by its <hashTree>`},
		{"orphan hashTree", "<jmeterTestPlan><hashTree><hashTree/></hashTree></jmeterTestPlan>", "without a test element"},
		{"text", "<jmeterTestPlan><hashTree>junk</hashTree></jmeterTestPlan>", `unexpected text "junk"`},
		{"deep", "<jmeterTestPlan><hashTree><A/>" + strings.Repeat("<hashTree><A/>", 300), "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.src), "x.jmx")
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.jmx:") {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	src, err := os.ReadFile("testdata/sample.jmx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(src)
	f.Add([]byte("<jmeterTestPlan><hashTree><A/><hashTree/></hashTree></jmeterTestPlan>"))
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := Decode(src, "f.jmx")
		if err != nil {
			return
		}
		// What decodes must encode and decode again to the same tree.
		var buf bytes.Buffer
		if err := Encode(&buf, doc); err != nil {
			t.Fatal(err)
		}
		again, err := Decode(buf.Bytes(), "again")
		if err != nil {
			t.Fatalf("re-decoding the encoded tree: %v\n%s", err, buf.String())
		}
		stripPos(doc.Elements)
		stripPos(again.Elements)
		if len(doc.Elements) != len(again.Elements) {
			t.Fatalf("element count changed")
		}
	})
}

func TestDecodeLatin1(t *testing.T) {
	src := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<jmeterTestPlan><hashTree><TestPlan testname=\"caf\xe9\"/><hashTree/></hashTree></jmeterTestPlan>")
	doc, err := Decode(src, "old.jmx")
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Elements[0].TestName; got != "café" {
		t.Errorf("test name %q, want café", got)
	}
	if _, err := Decode([]byte(`<?xml version="1.0" encoding="EBCDIC"?><jmeterTestPlan/>`), "x.jmx"); err == nil || !strings.Contains(err.Error(), "EBCDIC") {
		t.Errorf("unsupported encoding: %v", err)
	}
	var missing *Prop
	if missing.Prop("a").String("b") != "" || missing.Attr("c") != "" {
		t.Error("accessors on a missing property must return zero values")
	}
	if _, ok := missing.Bool(); ok {
		t.Error("Bool on a missing property must not be ok")
	}
}
