package mcpserver

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/mcpserver/store/mototest"
)

// TestWorkflowOnS3 runs the workflow with the artifacts in S3 (moto's
// server mode): documents read from the bucket, run outputs uploaded,
// results downloaded for the analysis, presigned download URLs.
func TestWorkflowOnS3(t *testing.T) {
	endpoint := mototest.Start(t)
	client := mototest.S3Client(endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const bucket = "loadgen-mcp-test"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	st, err := store.NewS3(client, bucket, "team-a", store.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"openapi.yaml", "architecture.md", "nfrs.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", "architecture", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, "docs/shop/"+name, b); err != nil {
			t.Fatal(err)
		}
	}
	url, shutdown, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	srv, err := New(Config{Store: st, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	sst, ct := mcp.NewInMemoryTransports()
	if _, err := srv.NewMCP().Connect(ctx, sst, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "s3-test", Version: "0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	f := &fixture{srv: srv, session: cs, target: url}

	f.mustFail(t, "analyze_architecture", map[string]any{"documents_path": "s3://" + bucket + "/team-b/docs"}, "outside this server's artifact store")
	f.mustFail(t, "analyze_architecture", map[string]any{"documents_path": "s3://" + bucket + "/team-a/docs/../../team-b"}, "documents_path")
	f.mustFail(t, "analyze_architecture", map[string]any{"documents_path": "docs/shop"}, "no document roots")
	f.mustFail(t, "analyze_architecture", map[string]any{"documents_path": "s3://" + bucket + "/team-a/"}, "the whole artifact store")
	var arch AnalyzeArchitectureOut
	f.mustCall(t, "analyze_architecture", map[string]any{"documents_path": "s3://" + bucket + "/team-a/docs/shop", "session_id": "shop-1"}, &arch)
	if arch.EndpointCount == 0 || len(arch.Documents) != 3 {
		t.Fatalf("analysis of the S3 documents: %d endpoints from %v", arch.EndpointCount, arch.Documents)
	}
	f.mustCall(t, "generate_test_scenarios", map[string]any{"session_id": "shop-1", "scenario_types": []string{"load"}, "quick_duration": "2s"}, nil)
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": "shop-1", "output_format": "jmx"}, nil)
	f.mustFail(t, "execute_performance_test", map[string]any{"session_id": "shop-1",
		"execution_environment": map[string]any{"backend": "ecs", "workers": 2, "target_url": url}}, "backend ecs: not configured", ECSStackEnv)
	var ex ExecuteOut
	f.mustCall(t, "execute_performance_test", map[string]any{"session_id": "shop-1", "execution_environment": map[string]any{"target_url": url}}, &ex)
	var status RunStatus
	f.mustCall(t, "get_test_status", map[string]any{"session_id": "shop-1", "wait_seconds": 60}, &status)
	if status.State != StateCompleted || status.Plans[0].Result == nil || status.Plans[0].Result.Requests == 0 {
		t.Fatalf("run on S3: %+v", status)
	}
	var an AnalyzeOut
	f.mustCall(t, "analyze_test_results", map[string]any{"session_id": "shop-1"}, &an)
	if len(an.Plans) != 1 || an.Plans[0].Requests != status.Plans[0].Result.Requests {
		t.Fatalf("analysis on S3: %+v", an)
	}
	// Every key sits under the store's prefix, in the original layout.
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("team-a/perf-pipeline/shop-1/")})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, o := range out.Contents {
		keys[strings.TrimPrefix(*o.Key, "team-a/perf-pipeline/shop-1/")] = true
	}
	run := "runs/" + ex.RunID + "/"
	for _, want := range []string{"architecture.json", "scenarios.json", "plans/plans.json", "plans/load.yaml", "plans/jmeter/load.jmx",
		run + "status.json", run + "load/results.jtl", run + "load/latency.hlog", run + "load/summary.json",
		"analysis/" + ex.RunID + "/load/report.html", "analysis/results_analysis.json"} {
		if !keys[want] {
			t.Errorf("bucket lacks %s (has %v)", want, keys)
		}
	}
	// The report's URL is presigned and downloads the report.
	u := an.Plans[0].Report.URL
	if !strings.Contains(u, "X-Amz-Signature=") {
		t.Fatalf("report URL is not presigned: %q", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Errorf("GET report URL: HTTP %d, %d bytes", resp.StatusCode, len(body))
	}
	// A status read back from the bucket by a fresh server (Lambda-style).
	fresh, err := New(Config{Store: st, Stateless: true})
	if err != nil {
		t.Fatal(err)
	}
	_, stored, err := fresh.lookupRun(ctx, "shop-1", "")
	if err != nil || stored.RunID != ex.RunID || stored.State != StateCompleted {
		t.Errorf("stored status: %v %+v", err, stored)
	}
}
