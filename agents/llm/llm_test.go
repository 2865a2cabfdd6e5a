package llm

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// scripted is a Provider that answers from a list and records the
// conversations it was sent.
type scripted struct {
	answers []string
	err     error
	convs   [][]Message
}

func (s *scripted) Name() string  { return "scripted" }
func (s *scripted) Model() string { return "m1" }
func (s *scripted) Call(_ context.Context, _ Request, conv []Message) (json.RawMessage, error) {
	s.convs = append(s.convs, append([]Message(nil), conv...))
	if s.err != nil {
		return nil, s.err
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return json.RawMessage(a), nil
}

func TestGenerate(t *testing.T) {
	if _, err := Generate(context.Background(), nil, testRequest(), 2, validateAnswer); !errors.Is(err, ErrNoProvider) {
		t.Errorf("nil provider: err = %v, want ErrNoProvider", err)
	}

	p := &scripted{answers: []string{`{}`, `{}`}}
	_, err := Generate(context.Background(), p, testRequest(), -3, validateAnswer)
	if !errors.Is(err, ErrNotValid) || len(p.convs) != 1 {
		t.Errorf("negative repairs: err = %v after %d calls, want ErrNotValid after 1", err, len(p.convs))
	}

	boom := errors.New("boom")
	_, err = Generate(context.Background(), &scripted{err: boom}, testRequest(), 2, validateAnswer)
	if !errors.Is(err, boom) || err.Error() != "scripted m1: boom" {
		t.Errorf("provider error: %v", err)
	}

	p = &scripted{answers: []string{`{"name":1}`, `{"name":"x"}`, `{"name":"x","count":1}`}}
	res, err := Generate(context.Background(), p, testRequest(), 2, validateAnswer)
	if err != nil || res.Attempts != 3 {
		t.Fatalf("Generate = %+v, %v", res, err)
	}
	last := p.convs[2]
	if len(last) != 5 || last[0].Role != RoleUser || last[3].Role != RoleAssistant || last[4].Role != RoleUser {
		t.Errorf("third conversation = %+v", last)
	}
	if _, err := checkRequest(testRequest(), last); err != nil {
		t.Errorf("Generate's conversation is not one the providers accept: %v", err)
	}
}
