// Package dslexport writes a plan as a jmeter-java-dsl 2.2 Maven project:
// one JUnit 5 test that builds the plan with the DSL and runs it in an
// embedded JMeter 5.6.3 (`mvn test`), writing a JTL with JMeter's default
// columns.
//
// The mapping follows the compiler package: thread groups per scenario
// (threadGroup, rpsThreadGroup), HTTP samplers labelled with the step
// names, transactions for groups, extractors, Response Assertions and
// JSR223 (Groovy, package compiler/groovy) assertions for checks, pauses
// for think time, CSV Data Sets for feeders, and the plan's thresholds as
// checks on the DSL's statistics after the run. What JMeter cannot express
// is returned as warnings and listed at the top of the test class and in
// the project's README.md; nothing is dropped silently.
//
// The output is deterministic: exporting the same plan twice writes the
// same files.
package dslexport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/planspec"
)

// DSLVersion is the jmeter-java-dsl version the project uses.
const DSLVersion = "2.2"

// JTLPath is where the generated test writes its JTL, relative to the
// project directory.
const JTLPath = "target/jtls/results.jtl"

// Options tune the export.
type Options struct {
	// JavaPackage is the package of the generated test classes; "loadgen"
	// when empty.
	JavaPackage string
	// GroupID and ArtifactID are the Maven coordinates of the project;
	// "loadgen" and one derived from the plan name when empty.
	GroupID, ArtifactID string
}

// Project describes an exported project's files, relative to its
// directory, with slashes.
type Project struct {
	// TestClass is the fully qualified name of the JUnit test class.
	TestClass string
	// Files lists every file written, sorted.
	Files []string
}

// Export writes the Maven project for p into dir and returns what JMeter
// cannot express. The plan must be valid (planspec.Parse output). Files of
// the project are overwritten; other files in dir are left alone.
func Export(p *planspec.Plan, dir string, opts Options) ([]compiler.Warning, error) {
	files, _, warns, err := Render(p, opts)
	if err != nil {
		return warns, err
	}
	for _, name := range sortedFileNames(files) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return warns, err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return warns, err
		}
	}
	return warns, nil
}

// Render returns the project's files (path relative to the project, with
// slashes → content) without writing them, with the project description
// and the warnings.
func Render(p *planspec.Plan, opts Options) (map[string][]byte, Project, []compiler.Warning, error) {
	if p == nil {
		return nil, Project{}, nil, errors.New("dslexport: nil plan")
	}
	pkg := opts.JavaPackage
	if pkg == "" {
		pkg = "loadgen"
	}
	if !validPackage(pkg) {
		return nil, Project{}, nil, fmt.Errorf("dslexport: %q is not a Java package name", pkg)
	}
	x := &exporter{
		p:         p,
		seen:      map[compiler.Warning]bool{},
		env:       map[string]bool{},
		feeders:   map[string]*feederFile{},
		scriptIDs: map[string]int{},
		vars:      compiler.VarTemplates(p),
	}
	files := map[string][]byte{}
	for _, name := range compiler.SortedKeys(p.Data) {
		f, data, err := loadFeeder(p, name)
		if err != nil {
			return nil, Project{}, nil, err
		}
		x.feeders[name] = f
		files["src/test/resources/"+f.resource] = data
	}

	class := ClassName(p.Name)
	plan := &jexpr{fn: "testPlan", kids: x.planChildren(), kidsInArgs: true}
	if len(x.scripts) > 0 {
		// Groovy takes seconds to compile the checks: before the load
		compile := (&jexpr{fn: "setupThreadGroup", args: []string{`"compile checks"`}, kidsInArgs: true}).
			add(call("Loadgen.compileChecks", strconv.Itoa(len(x.scripts))))
		plan.kids = append([]*jexpr{compile}, plan.kids...)
	}
	checks := x.thresholds()
	envNames := compiler.SortedKeys(x.env)
	engineArgs := make([]string, len(envNames))
	for i, n := range envNames {
		engineArgs[i] = JavaString(n)
	}
	plan.then("runIn", "Loadgen.engine("+strings.Join(engineArgs, ", ")+")")
	if x.err != nil {
		return nil, Project{}, x.warns.List, x.err
	}
	warns := x.warns.List

	pkgDir := "src/test/java/" + strings.ReplaceAll(pkg, ".", "/") + "/"
	files[pkgDir+class+".java"] = []byte(testClass(p, pkg, class, plan, checks, warns))
	files[pkgDir+"Loadgen.java"] = []byte(fmt.Sprintf(helperClass, pkg))
	for i, script := range x.scripts {
		files[fmt.Sprintf("src/test/resources/loadgen/checks/%d.groovy", i)] = []byte(script)
	}
	artifact := opts.ArtifactID
	if artifact == "" {
		artifact = artifactID(p.Name)
	}
	group := opts.GroupID
	if group == "" {
		group = "loadgen"
	}
	files["pom.xml"] = []byte(pom(p, group, artifact))
	files["README.md"] = []byte(readme(p, pkg+"."+class, envNames, warns, x.feeders))
	files[".gitignore"] = []byte("target/\n")
	return files, Project{TestClass: pkg + "." + class, Files: sortedFileNames(files)}, warns, nil
}

func sortedFileNames(files map[string][]byte) []string { return compiler.SortedKeys(files) }

// loadFeeder reads a feeder's CSV and its column names.
func loadFeeder(p *planspec.Plan, name string) (*feederFile, []byte, error) {
	f := &feederFile{name: name, resource: "data/" + name + ".csv"}
	if fd := p.Feeders[name]; fd != nil {
		f.source, f.columns = fd.Path, fd.Columns
	} else {
		f.source = p.Data[name].File
		if !filepath.IsAbs(f.source) {
			f.source = filepath.Join(p.Dir, f.source)
		}
	}
	data, err := os.ReadFile(f.source)
	if err != nil {
		return nil, nil, fmt.Errorf("dslexport: feeder %s: %w", name, err)
	}
	if f.columns == nil {
		f.columns, err = csvHeader(data)
		if err != nil {
			return nil, nil, fmt.Errorf("dslexport: feeder %s: %s: %w", name, f.source, err)
		}
	}
	return f, data, nil
}

// testClass renders the JUnit test class.
func testClass(p *planspec.Plan, pkg, class string, plan *jexpr, thresholds []string, warns []compiler.Warning) string {
	var b strings.Builder
	src := ""
	if p.File != "" {
		src = " (" + filepath.Base(p.File) + ")"
	}
	fmt.Fprintf(&b, "// Generated by loadgen from plan %s%s: a jmeter-java-dsl %s test that\n", javaComment(`"`+p.Name+`"`), javaComment(src), DSLVersion)
	b.WriteString("// runs the plan in JMeter. Re-export the plan rather than edit this file.\n//\n")
	if len(warns) == 0 {
		b.WriteString("// JMeter expresses everything in the plan.\n")
	} else {
		b.WriteString("// What JMeter cannot express exactly (also in README.md):\n")
		for _, w := range warns {
			b.WriteString("//   - " + javaComment(w.String()) + "\n")
		}
	}
	fmt.Fprintf(&b, "package %s;\n\n", pkg)
	b.WriteString(`import static us.abstracta.jmeter.javadsl.JmeterDsl.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import us.abstracta.jmeter.javadsl.core.TestPlanStats;
import us.abstracta.jmeter.javadsl.core.assertions.DslResponseAssertion;
import us.abstracta.jmeter.javadsl.core.configs.DslCsvDataSet;
import us.abstracta.jmeter.javadsl.core.postprocessors.DslJsonExtractor;
import us.abstracta.jmeter.javadsl.core.postprocessors.DslRegexExtractor;
import us.abstracta.jmeter.javadsl.core.threadgroups.RpsThreadGroup;

`)
	fmt.Fprintf(&b, "public class %s {\n\n", class)
	b.WriteString("  /** Base URL of relative requests: the plan's target, or mvn test -D" + compiler.TargetProperty + "=URL. */\n")
	fmt.Fprintf(&b, "  static final String TARGET = System.getProperty(%s, %s).replaceAll(\"/+$\", \"\");\n\n",
		JavaString(compiler.TargetProperty), JavaString(compiler.TargetDefault(p)))
	b.WriteString("  @Test\n  public void run() throws Exception {\n")
	b.WriteString("    // jtlWriter appends to an existing file: start afresh\n")
	fmt.Fprintf(&b, "    Files.deleteIfExists(Paths.get(%s));\n", JavaString(JTLPath))
	b.WriteString("    TestPlanStats stats = ")
	plan.render(&b, "    ")
	b.WriteString(";\n")
	if len(thresholds) > 0 {
		b.WriteString("    Loadgen.Thresholds thresholds = new Loadgen.Thresholds(stats);\n")
		for _, t := range thresholds {
			b.WriteString("    " + t + "\n")
		}
		b.WriteString("    thresholds.assertAll();\n")
	}
	b.WriteString("  }\n}\n")
	return b.String()
}
