package llm

import (
	"context"
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	isolateAWS(t)
	unsetenv(t, "ANTHROPIC_API_KEY")
	unsetenv(t, "ANTHROPIC_BASE_URL")

	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string   // provider name, "" for offline
		model   string   // when want != ""
		says    []string // in Describe
		wantErr string
	}{
		{name: "nothing configured", env: nil, says: []string{"offline heuristics"}},
		{name: "AWS credentials alone stay offline", env: map[string]string{
			"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "aws-secret-value", "AWS_REGION": "us-east-1", "AWS_PROFILE": "dev"}},
		{name: "explicit offline wins over a key", env: map[string]string{
			"LOADGEN_AI_PROVIDER": "offline", "ANTHROPIC_API_KEY": "sk-ant-k"}},
		{name: "anthropic key", env: map[string]string{"ANTHROPIC_API_KEY": "sk-ant-secret"},
			want: "anthropic", model: DefaultAnthropicModel,
			says: []string{"api.anthropic.com", "50 requests/min", "4 retries"}},
		{name: "anthropic model, gateway, pacing", env: map[string]string{
			"ANTHROPIC_API_KEY": "sk-ant-k", "LOADGEN_AI_MODEL": "claude-opus-4-8", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/gw",
			"LOADGEN_AI_RPM": "120", "LOADGEN_AI_MAX_RETRIES": "0"},
			want: "anthropic", model: "claude-opus-4-8", says: []string{"http://127.0.0.1:9/gw", "120 requests/min", "0 retries"}},
		{name: "bedrock model", env: map[string]string{"LOADGEN_BEDROCK_MODEL": BedrockClaude37Sonnet},
			want: "bedrock", model: BedrockClaude37Sonnet, says: []string{"region us-east-1", "5 attempts"}},
		{name: "bedrock endpoint", env: map[string]string{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9"},
			want: "bedrock", model: DefaultBedrockModel, says: []string{"endpoint http://127.0.0.1:9"}},
		{name: "bedrock API key", env: map[string]string{"AWS_BEARER_TOKEN_BEDROCK": "bedrock-api-key"},
			want: "bedrock", model: DefaultBedrockModel},
		{name: "bedrock region and LOADGEN_AI_MODEL", env: map[string]string{
			"LOADGEN_AI_PROVIDER": "Bedrock", "LOADGEN_AI_MODEL": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
			"AWS_DEFAULT_REGION": "eu-west-1", "LOADGEN_AI_RPM": "0"},
			want: "bedrock", model: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
			says: []string{"region eu-west-1", "no client-side rate limit"}},
		{name: "LOADGEN_BEDROCK_MODEL wins over LOADGEN_AI_MODEL", env: map[string]string{
			"LOADGEN_BEDROCK_MODEL": BedrockClaude37Sonnet, "LOADGEN_AI_MODEL": "other", "AWS_REGION": "us-west-2"},
			want: "bedrock", model: BedrockClaude37Sonnet, says: []string{"region us-west-2"}},
		{name: "both configured: anthropic first", env: map[string]string{
			"ANTHROPIC_API_KEY": "sk-ant-k", "LOADGEN_BEDROCK_MODEL": BedrockClaude37Sonnet},
			want: "anthropic", model: DefaultAnthropicModel},
		{name: "both configured: explicit bedrock", env: map[string]string{
			"LOADGEN_AI_PROVIDER": "bedrock", "ANTHROPIC_API_KEY": "sk-ant-k"},
			want: "bedrock", model: DefaultBedrockModel},
		{name: "unknown provider", env: map[string]string{"LOADGEN_AI_PROVIDER": "openai"},
			wantErr: `LOADGEN_AI_PROVIDER="openai"`},
		{name: "anthropic without a key", env: map[string]string{"LOADGEN_AI_PROVIDER": "anthropic"},
			wantErr: "no API key"},
		{name: "bad rpm", env: map[string]string{"ANTHROPIC_API_KEY": "sk-ant-k", "LOADGEN_AI_RPM": "fast"},
			wantErr: "LOADGEN_AI_RPM"},
		{name: "negative retries", env: map[string]string{"ANTHROPIC_API_KEY": "sk-ant-k", "LOADGEN_AI_MAX_RETRIES": "-2"},
			wantErr: "LOADGEN_AI_MAX_RETRIES"},
		{name: "bad timeout", env: map[string]string{"LOADGEN_BEDROCK_MODEL": "m", "LOADGEN_AI_TIMEOUT": "5"},
			wantErr: "LOADGEN_AI_TIMEOUT"},
		{name: "global 3.7", env: map[string]string{"LOADGEN_BEDROCK_MODEL": "global.anthropic.claude-3-7-sonnet-20250219-v1:0"},
			wantErr: "no global inference profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			p, err := FromEnv(context.Background(), getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if tc.want == "" {
				if p != nil {
					t.Fatalf("provider %s, want offline (nil)", Describe(p))
				}
			} else if p == nil || p.Name() != tc.want || p.Model() != tc.model {
				t.Fatalf("provider %s, want %s model %s", Describe(p), tc.want, tc.model)
			}
			d := Describe(p)
			for _, s := range tc.says {
				if !strings.Contains(d, s) {
					t.Errorf("Describe = %q, lacks %q", d, s)
				}
			}
			for k, v := range tc.env {
				if strings.Contains(k, "KEY") || strings.Contains(k, "TOKEN") {
					if strings.Contains(d, v) {
						t.Errorf("Describe shows %s: %q", k, d)
					}
				}
			}
		})
	}
}

func TestFromEnvSettings(t *testing.T) {
	isolateAWS(t)
	env := map[string]string{
		"ANTHROPIC_API_KEY": "sk-ant-k", "LOADGEN_AI_TIMEOUT": "90s", "LOADGEN_AI_MAX_TOKENS": "12000", "LOADGEN_AI_MAX_RETRIES": "7",
	}
	p, err := FromEnv(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a := p.(*Anthropic)
	if a.gate.timeout.String() != "1m30s" || a.maxTok != 12000 || a.retries != 7 {
		t.Errorf("timeout %v, max tokens %d, retries %d", a.gate.timeout, a.maxTok, a.retries)
	}
	env = map[string]string{"LOADGEN_BEDROCK_MODEL": "m", "LOADGEN_AI_MAX_RETRIES": "0", "LOADGEN_AI_MAX_TOKENS": "3000"}
	p, err = FromEnv(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	b := p.(*Bedrock)
	if b.attempts != 1 || b.maxTokens != 3000 {
		t.Errorf("attempts %d, max tokens %d", b.attempts, b.maxTokens)
	}
}
