// Package mototest starts moto's server mode (a real AWS API on
// 127.0.0.1, from PyPI moto[server]) for tests.
package mototest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// RequireEnv, when set, makes a missing moto_server fail the test.
const RequireEnv = "LOADGEN_REQUIRE_MOTO"

// Start runs moto_server on a free 127.0.0.1 port until the test ends and
// returns its endpoint URL. Without moto_server the test is skipped, unless
// LOADGEN_REQUIRE_MOTO is set (then it fails).
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("LOADGEN_REQUIRE_MOTO is set but moto_server is missing: %v", err)
		}
		t.Skipf("moto_server not found (pip install 'moto[server]'): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	logPath := filepath.Join(t.TempDir(), "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	inOwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		killGroup(cmd)
		<-exited
		_ = logFile.Close()
	})
	motoLog := func() string {
		b, _ := os.ReadFile(logPath)
		return string(b)
	}

	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("moto_server exited early: %v\n%s", err, motoLog())
		default:
		}
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			_ = resp.Body.Close()
			return endpoint
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 30s: %v\n%s", endpoint, err, motoLog())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// S3Client returns an S3 client for the moto server at endpoint (static
// test credentials, us-east-1, path-style addressing).
func S3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
	})
}
