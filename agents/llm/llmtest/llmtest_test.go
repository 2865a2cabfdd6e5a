package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/loadgen/loadgen/agents/llm"
)

func call(t *testing.T, p llm.Provider, ctx context.Context, prompt string) (string, error) {
	t.Helper()
	raw, err := p.Call(ctx, llm.Request{Prompt: prompt}, []llm.Message{{Role: llm.RoleUser, Text: prompt}})
	return string(raw), err
}

func TestScripted_Answers(t *testing.T) {
	p := &Scripted{Answers: []string{`1`, `2`}}
	if p.Name() != "fake" || p.Model() != "fake-model-1" {
		t.Errorf("names %q %q", p.Name(), p.Model())
	}
	for i, want := range []string{`1`, `2`, `2`} {
		if got, err := call(t, p, context.Background(), string(rune('a'+i))); got != want || err != nil {
			t.Errorf("call %d = %s, %v; want %s", i, got, err, want)
		}
	}
	calls := p.Calls()
	if len(calls) != 3 || calls[2].Request.Prompt != "c" || calls[1].Conversation[0].Text != "b" {
		t.Errorf("calls %+v", calls)
	}
	calls[0].Conversation[0].Text = "changed"
	if p.Calls()[0].Conversation[0].Text != "a" {
		t.Error("Calls shares the recorded conversation")
	}
	named := &Scripted{ProviderName: "p", ModelID: "m"}
	if named.Name() != "p" || named.Model() != "m" {
		t.Errorf("names %q %q", named.Name(), named.Model())
	}
	if _, err := call(t, named, context.Background(), "x"); err == nil {
		t.Error("no script: no error")
	}
}

func TestScripted_Replies(t *testing.T) {
	p := &Scripted{Answers: []string{`"unused"`}, Replies: []Reply{
		func(req llm.Request) (json.RawMessage, error) { return json.RawMessage(`"` + req.Prompt + `"`), nil },
		func(llm.Request) (json.RawMessage, error) { return nil, errors.New("second") },
	}}
	if got, err := call(t, p, context.Background(), "echo"); got != `"echo"` || err != nil {
		t.Errorf("first = %s, %v", got, err)
	}
	for range 2 {
		if _, err := call(t, p, context.Background(), "x"); err == nil || err.Error() != "second" {
			t.Errorf("err = %v, want the last reply's", err)
		}
	}
}

func TestScripted_Failures(t *testing.T) {
	boom := errors.New("boom")
	p := &Scripted{Answers: []string{`{}`}, Err: boom}
	if _, err := call(t, p, context.Background(), "x"); err != boom {
		t.Errorf("err = %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := call(t, p, ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(p.Calls()); n != 2 {
		t.Errorf("%d calls recorded, want 2 (failed ones too)", n)
	}
	p = &Scripted{Panics: true}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		call(t, p, context.Background(), "x")
	}()
	if len(p.Calls()) != 1 {
		t.Error("the panicking call was not recorded")
	}
}

func TestScripted_Concurrent(t *testing.T) {
	p := &Scripted{Answers: []string{`{}`}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			p.Call(context.Background(), llm.Request{}, nil)
			p.Calls()
		})
	}
	wg.Wait()
	if n := len(p.Calls()); n != 8 {
		t.Errorf("%d calls, want 8", n)
	}

}
