package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// TestNag runs cdk-nag's AWS Solutions rules on the stack, with and
// without NAT gateways and with the optional logs: every finding must be
// fixed or suppressed with a reason in the stack itself (no error and no
// warning left).
func TestNag(t *testing.T) {
	for _, props := range []Props{
		{},
		{NATGateways: 1, BedrockModelArns: []string{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-x"}},
		{AccessLogs: true, FlowLogs: true, DemoTarget: true},
		{PrivateWorkers: true, DemoTarget: true, Dashboard: true},
	} {
		t.Run(fmt.Sprintf("nat=%d,logs=%t,private=%t", props.NATGateways, props.AccessLogs, props.PrivateWorkers), func(t *testing.T) {
			dir := t.TempDir()
			props.LambdaAssetDir, props.WorkerImageDir = assetDirs(t, dir)
			var findings []string
			check(t, func() {
				out := filepath.Join(dir, "cdk.out")
				app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
				NewPerformanceTestingStack(app, "Perf", &props)
				awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
					ReportFormats: &[]cdknag.NagReportFormat{cdknag.NagReportFormat_JSON},
				}), nil)
				app.Synth(nil)
				// cdk-nag names it AwsSolutions-[…-]Perf-NagReport.json.
				reports, _ := filepath.Glob(filepath.Join(out, "AwsSolutions-*Perf-NagReport.json"))
				if len(reports) != 1 {
					t.Fatalf("cdk-nag reports %v, want one", reports)
				}
				findings = nagFindings(t, reports[0])
			})
			sort.Strings(findings)
			for _, f := range findings {
				t.Error(f)
			}
		})
	}
}

// nagFindings reads a cdk-nag JSON report and returns its rows that are
// neither compliant nor suppressed with a reason (the report also lists
// rules that could not be evaluated, as UNKNOWN).
func nagFindings(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cdk-nag report: %v", err)
	}
	var report struct {
		Lines []struct {
			RuleID          string `json:"ruleId"`
			ResourceID      string `json:"resourceId"`
			Compliance      string `json:"compliance"`
			ExceptionReason string `json:"exceptionReason"`
			RuleInfo        string `json:"ruleInfo"`
		} `json:"lines"`
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatalf("cdk-nag report %s: %v", path, err)
	}
	if len(report.Lines) < 20 {
		t.Fatalf("cdk-nag report has %d rows: the rules did not run", len(report.Lines))
	}
	var out []string
	var compliant, suppressed int
	for _, l := range report.Lines {
		switch {
		case l.Compliance == "Compliant":
			compliant++
		case l.Compliance == "Suppressed" && len(l.ExceptionReason) >= 10:
			suppressed++
		default:
			out = append(out, fmt.Sprintf("%s %s on %s: %s (%s)", l.Compliance, l.RuleID, l.ResourceID, l.RuleInfo, l.ExceptionReason))
		}
	}
	t.Logf("cdk-nag: %d rule results, %d compliant, %d suppressed with a reason, %d open", len(report.Lines), compliant, suppressed, len(out))
	return out
}

// assetDirs makes the Lambda and worker image asset directories in dir.
func assetDirs(t *testing.T, dir string) (lambdaDir, imageDir string) {
	t.Helper()
	lambdaDir = filepath.Join(dir, "lambda")
	imageDir = filepath.Join(dir, "image")
	for _, d := range []string{lambdaDir, imageDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(lambdaDir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(imageDir, "Dockerfile"), []byte("FROM scratch\nENTRYPOINT [\"/loadgen\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return lambdaDir, imageDir
}
