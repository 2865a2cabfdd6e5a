package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/loadgen/loadgen/agents/internal/atomicfile"
)

// Marshal encodes the model as indented JSON with a final newline. The
// same model always gives the same bytes: every list is ordered and maps
// (in examples) are encoded with sorted keys.
func Marshal(m *Model) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encoding the architecture model: %w", err)
	}
	return b.Bytes(), nil
}

// WriteFile validates the model and writes it to path atomically: into a
// temporary file of the same folder, synced, then renamed over path. On
// any error path is left as it was: never a partial file.
func WriteFile(path string, m *Model) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("writing %s: the architecture model does not validate: %w", path, err)
	}
	data, err := Marshal(m)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return atomicfile.Write(path, data)
}

// Unmarshal decodes an architecture model (architecture.json) strictly,
// unknown fields refused, and validates it: what scenario generation
// reads.
func Unmarshal(data []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding the architecture model: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decoding the architecture model: data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("the architecture model does not validate: %w", err)
	}
	return &m, nil
}

// ReadFile reads and validates an architecture model file; see Unmarshal.
func ReadFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the architecture model: %w", err)
	}
	m, err := Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
