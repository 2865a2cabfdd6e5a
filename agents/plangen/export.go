package plangen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loadgen/loadgen/agents/internal/atomicfile"
	"github.com/loadgen/loadgen/compiler/dslexport"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/compiler/jmxexport"
	"github.com/loadgen/loadgen/planspec"
)

// ManifestFile is the Result written beside the plans by Write.
const ManifestFile = "plans.json"

// JMeterDir is the folder of the JMeter renderings written by Write with
// WriteOptions.JMeter.
const JMeterDir = "jmeter"

// Export lists what ExportJMeter wrote, relative to its folder, with
// slashes.
type Export struct {
	// JMX is the .jmx file; DSL the jmeter-java-dsl Maven project's folder
	// and DSLFiles its files.
	JMX      string   `json:"jmx"`
	DSL      string   `json:"dsl"`
	DSLFiles []string `json:"dsl_files"`
	// Warnings are what JMeter cannot express exactly.
	Warnings []string `json:"warnings,omitempty"`
}

// ExportJMeter writes the JMeter renderings of a validated plan into dir:
// NAME.jmx and the jmeter-java-dsl Maven project NAME/ (NAME is the plan
// file's base name, else its name). Both are derived by the compiler from
// the plan, never by the model. The plan's feeder files must be readable
// (a plan parsed from its file, data beside it): the .jmx refers to them
// relative to dir, the Maven project copies them. Files are written
// atomically.
func ExportJMeter(p *planspec.Plan, dir string) (*Export, error) {
	if p == nil {
		return nil, errors.New("plangen: export: no plan")
	}
	base := strings.TrimSuffix(filepath.Base(p.File), filepath.Ext(p.File))
	if p.File == "" || base == "" || base == "." {
		base = or(slug(p.Name), "plan")
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plangen: export: %w", err)
	}
	opts := jmxexport.Options{CSVPath: func(file string) string {
		abs := file
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(p.Dir, file)
		}
		abs, _ = filepath.Abs(abs)
		if rel, err := filepath.Rel(absDir, abs); err == nil {
			return filepath.ToSlash(rel)
		}
		return file
	}}
	doc, jw, err := jmxexport.Export(p, opts)
	if err != nil {
		return nil, fmt.Errorf("plangen: export %s: %w", base, err)
	}
	var buf bytes.Buffer
	if err := jmx.Encode(&buf, doc); err != nil {
		return nil, fmt.Errorf("plangen: export %s: %w", base, err)
	}
	files, _, dw, err := dslexport.Render(p, dslexport.Options{})
	if err != nil {
		return nil, fmt.Errorf("plangen: export %s: %w", base, err)
	}
	out := &Export{JMX: base + ".jmx", DSL: base}
	if err := atomicfile.Write(filepath.Join(dir, out.JMX), buf.Bytes()); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := atomicfile.Write(filepath.Join(dir, base, filepath.FromSlash(name)), files[name]); err != nil {
			return nil, err
		}
		out.DSLFiles = append(out.DSLFiles, base+"/"+name)
	}
	seen := map[string]bool{}
	for _, w := range append(jw, dw...) {
		if s := w.String(); !seen[s] {
			seen[s] = true
			out.Warnings = append(out.Warnings, s)
		}
	}
	return out, nil
}

// WriteOptions tune Write.
type WriteOptions struct {
	// JMeter also writes each plan's JMeter renderings (ExportJMeter) into
	// the jmeter/ folder.
	JMeter bool
}

// Written lists what Write wrote, relative to its folder.
type Written struct {
	Plans    []string  `json:"plans"`
	Data     []string  `json:"data,omitempty"`
	Manifest string    `json:"manifest"`
	JMeter   []*Export `json:"jmeter,omitempty"`
}

// Files lists the manifest, the plans and their test data (relative to the
// folder Write wrote into), the files a caller reports.
func (w *Written) Files() []string {
	return append(append([]string{w.Manifest}, w.Plans...), w.Data...)
}

// Write stores the result in dir (created if missing): the plans
// (load.yaml...), their data files (users.csv), the manifest plans.json
// (the Result) and, with opts.JMeter, jmeter/NAME.jmx and jmeter/NAME/
// per plan. Every file is written atomically (a temporary file renamed
// into place), so a reader never sees a partial file.
func (r *Result) Write(dir string, opts WriteOptions) (*Written, error) {
	if r == nil {
		return nil, errors.New("plangen: nothing to write")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plangen: %w", err)
	}
	w := &Written{Manifest: ManifestFile}
	for _, f := range r.Files {
		if err := atomicfile.Write(filepath.Join(dir, filepath.Base(f.Name)), f.Data); err != nil {
			return nil, err
		}
		w.Data = append(w.Data, filepath.Base(f.Name))
	}
	for _, p := range r.Plans {
		if err := atomicfile.Write(filepath.Join(dir, filepath.Base(p.File)), p.YAML); err != nil {
			return nil, err
		}
		w.Plans = append(w.Plans, filepath.Base(p.File))
	}
	manifest, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("plangen: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, ManifestFile), append(manifest, '\n')); err != nil {
		return nil, err
	}
	if !opts.JMeter {
		return w, nil
	}
	for _, name := range w.Plans {
		p, err := planspec.ParseFile(filepath.Join(dir, name), planspec.Options{})
		if err != nil {
			return nil, fmt.Errorf("plangen: %s: %w", name, err)
		}
		ex, err := ExportJMeter(p, filepath.Join(dir, JMeterDir))
		if err != nil {
			return nil, err
		}
		w.JMeter = append(w.JMeter, ex)
	}
	return w, nil
}
