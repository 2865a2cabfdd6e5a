package llm_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/llm/llmtest"
)

func TestGenerate(t *testing.T) {
	if _, err := llm.Generate(context.Background(), nil, llm.TestRequest(), 2, llm.ValidateAnswer); !errors.Is(err, llm.ErrNoProvider) {
		t.Errorf("nil provider: err = %v, want ErrNoProvider", err)
	}

	p := &llmtest.Scripted{Answers: []string{`{}`, `{}`}}
	_, err := llm.Generate(context.Background(), p, llm.TestRequest(), -3, llm.ValidateAnswer)
	if !errors.Is(err, llm.ErrNotValid) || len(p.Calls()) != 1 {
		t.Errorf("negative repairs: err = %v after %d calls, want ErrNotValid after 1", err, len(p.Calls()))
	}

	boom := errors.New("boom")
	_, err = llm.Generate(context.Background(), &llmtest.Scripted{Err: boom, ProviderName: "scripted", ModelID: "m1"}, llm.TestRequest(), 2, llm.ValidateAnswer)
	if !errors.Is(err, boom) || err.Error() != "scripted m1: boom" {
		t.Errorf("provider error: %v", err)
	}

	p = &llmtest.Scripted{Answers: []string{`{"name":1}`, `{"name":"x"}`, `{"name":"x","count":1}`}}
	res, err := llm.Generate(context.Background(), p, llm.TestRequest(), 2, llm.ValidateAnswer)
	if err != nil || res.Attempts != 3 {
		t.Fatalf("Generate = %+v, %v", res, err)
	}
	last := p.Calls()[2].Conversation
	if len(last) != 5 || last[0].Role != llm.RoleUser || last[3].Role != llm.RoleAssistant || last[4].Role != llm.RoleUser {
		t.Errorf("third conversation = %+v", last)
	}
	if _, err := llm.CheckRequest(llm.TestRequest(), last); err != nil {
		t.Errorf("Generate's conversation is not one the providers accept: %v", err)
	}
}

func TestCounter(t *testing.T) {
	p := &llmtest.Scripted{Answers: []string{`{}`}}
	c := &llm.Counter{Provider: p}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.Call(context.Background(), llm.TestRequest(), nil) })
	}
	wg.Wait()
	if c.Calls() != 8 || len(p.Calls()) != 8 || c.Name() != p.Name() || c.Model() != p.Model() {
		t.Errorf("counter %d, provider %d calls; names %q %q", c.Calls(), len(p.Calls()), c.Name(), c.Model())
	}
	// Fallbacks count too: the calls of a Generate that failed.
	c = &llm.Counter{Provider: &llmtest.Scripted{Answers: []string{`{}`}}}
	if _, err := llm.Generate(context.Background(), c, llm.TestRequest(), 2, llm.ValidateAnswer); !errors.Is(err, llm.ErrNotValid) || c.Calls() != 3 {
		t.Errorf("err %v after %d calls, want ErrNotValid after 3", err, c.Calls())
	}
}

func TestRepairs(t *testing.T) {
	for _, tc := range []struct{ option, want int }{{0, 2}, {-1, 0}, {-5, 0}, {1, 1}, {4, 4}} {
		if got := llm.Repairs(tc.option, 2); got != tc.want {
			t.Errorf("Repairs(%d, 2) = %d, want %d", tc.option, got, tc.want)
		}
	}
}
