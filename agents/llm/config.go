package llm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FromEnv chooses and builds the provider from environment variables read
// through getenv (os.Getenv in production). It returns a nil Provider, and
// no error, for offline heuristics.
//
// The provider:
//
//	LOADGEN_AI_PROVIDER   offline | bedrock | anthropic (any case). When
//	                      empty, the first that applies:
//	                        1. anthropic, when ANTHROPIC_API_KEY is set;
//	                        2. bedrock, when LOADGEN_BEDROCK_MODEL,
//	                           AWS_ENDPOINT_URL_BEDROCK_RUNTIME or
//	                           AWS_BEARER_TOKEN_BEDROCK is set;
//	                        3. offline (the default when nothing is
//	                           configured).
//	                      AWS credentials alone (AWS_ACCESS_KEY_ID, a
//	                      profile, a task or instance role) do not choose
//	                      Bedrock: they are there for S3 and ECS too, and
//	                      sending documents to a model must be asked for.
//
// Both providers:
//
//	LOADGEN_AI_MODEL      model id (default: DefaultAnthropicModel,
//	                      DefaultBedrockModel).
//	LOADGEN_AI_RPM        client-side requests per minute, waited on before
//	                      every call (default 50; 0 turns the limit off).
//	LOADGEN_AI_MAX_RETRIES retries of a throttled or failed call by the SDK
//	                      (default 4; 0 turns retries off).
//	LOADGEN_AI_TIMEOUT    bound on one call, retries included, as a Go
//	                      duration such as 90s or 5m (default 5m).
//	LOADGEN_AI_MAX_TOKENS answer budget when a step sets none (default:
//	                      sized to the step's schema, 4096 to 8192).
//
// Anthropic API:
//
//	ANTHROPIC_API_KEY     the API key (required for this provider).
//	ANTHROPIC_BASE_URL    another address for the API (a gateway).
//
// Amazon Bedrock (Converse API):
//
//	LOADGEN_BEDROCK_MODEL inference-profile id or ARN; wins over
//	                      LOADGEN_AI_MODEL (default DefaultBedrockModel,
//	                      us.anthropic.claude-sonnet-4-5-20250929-v1:0;
//	                      Claude 3.7 Sonnet is
//	                      us.anthropic.claude-3-7-sonnet-20250219-v1:0).
//	AWS_REGION            region (also AWS_DEFAULT_REGION, or the profile's;
//	                      default us-east-1). Use a region of the profile:
//	                      us-… for us. ids, eu-… for eu. ids.
//	AWS_ENDPOINT_URL_BEDROCK_RUNTIME another Bedrock Runtime endpoint (a
//	                      VPC endpoint, a test double).
//	AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//	AWS_SESSION_TOKEN, AWS_BEARER_TOKEN_BEDROCK, …
//	                      credentials, read by the AWS SDK's standard chain
//	                      from the process environment and ~/.aws, not
//	                      through getenv. The caller needs
//	                      bedrock:InvokeModel on the inference profile and
//	                      on the foundation model.
func FromEnv(ctx context.Context, getenv func(string) string) (Provider, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }

	name := strings.ToLower(env("LOADGEN_AI_PROVIDER"))
	if name == "" {
		switch {
		case env("ANTHROPIC_API_KEY") != "":
			name = "anthropic"
		case env("LOADGEN_BEDROCK_MODEL") != "" || env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") != "" ||
			env("AWS_BEARER_TOKEN_BEDROCK") != "":
			name = "bedrock"
		default:
			name = "offline"
		}
	}

	var c common
	var err error
	if name == "bedrock" || name == "anthropic" {
		if c, err = commonFromEnv(env); err != nil {
			return nil, err
		}
	}

	switch name {
	case "offline":
		return nil, nil
	case "anthropic":
		p, err := NewAnthropic(AnthropicConfig{
			APIKey:            env("ANTHROPIC_API_KEY"),
			BaseURL:           env("ANTHROPIC_BASE_URL"),
			Model:             env("LOADGEN_AI_MODEL"),
			RequestsPerMinute: c.rpm,
			MaxRetries:        c.retries,
			Timeout:           c.timeout,
			MaxTokens:         c.maxTokens,
		})
		if err != nil {
			return nil, err
		}
		return p, nil
	case "bedrock":
		model := env("LOADGEN_BEDROCK_MODEL")
		if model == "" {
			model = env("LOADGEN_AI_MODEL")
		}
		region := env("AWS_REGION")
		if region == "" {
			region = env("AWS_DEFAULT_REGION")
		}
		p, err := NewBedrock(ctx, BedrockConfig{
			Model:             model,
			Region:            region,
			Endpoint:          env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"),
			RequestsPerMinute: c.rpm,
			MaxRetries:        c.retries,
			Timeout:           c.timeout,
			MaxTokens:         c.maxTokens,
		})
		if err != nil {
			return nil, err
		}
		return p, nil
	default:
		return nil, fmt.Errorf("LOADGEN_AI_PROVIDER=%q: want offline, bedrock or anthropic", name)
	}
}

// common holds the settings both providers take, in their config's terms
// (0 = default, negative = off).
type common struct {
	rpm, retries, maxTokens int
	timeout                 time.Duration
}

func commonFromEnv(env func(string) string) (common, error) {
	var c common
	var err error
	// In the environment 0 turns the limit (retries) off; in the configs
	// 0 is the default and a negative number turns it off.
	if c.rpm, err = envInt(env, "LOADGEN_AI_RPM"); err != nil {
		return c, err
	}
	if c.rpm == 0 && env("LOADGEN_AI_RPM") != "" {
		c.rpm = -1
	}
	if c.retries, err = envInt(env, "LOADGEN_AI_MAX_RETRIES"); err != nil {
		return c, err
	}
	if c.retries == 0 && env("LOADGEN_AI_MAX_RETRIES") != "" {
		c.retries = -1
	}
	if c.maxTokens, err = envInt(env, "LOADGEN_AI_MAX_TOKENS"); err != nil {
		return c, err
	}
	if v := env("LOADGEN_AI_TIMEOUT"); v != "" {
		if c.timeout, err = time.ParseDuration(v); err != nil || c.timeout <= 0 {
			return c, fmt.Errorf("LOADGEN_AI_TIMEOUT=%q: want a positive Go duration such as 90s or 5m", v)
		}
	}
	return c, nil
}

// envInt reads a non-negative integer; "" is 0.
func envInt(env func(string) string, key string) (int, error) {
	v := env(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a non-negative integer", key, v)
	}
	return n, nil
}

// Describe says in one line which provider p is, for logs: the model, the
// endpoint and the pacing, never a key, a prompt or an answer. A nil p is
// the offline heuristics.
func Describe(p Provider) string {
	switch d := p.(type) {
	case nil:
		return "offline heuristics (no AI provider configured)"
	case interface{ Describe() string }:
		return d.Describe()
	default:
		return p.Name() + " model " + p.Model()
	}
}
