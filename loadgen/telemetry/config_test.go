package telemetry

import "testing"

func TestCheckMetricsAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
		want   string // "" : refused
	}{
		{"9464", false, "127.0.0.1:9464"},
		{":9464", false, "127.0.0.1:9464"},
		{"127.0.0.1:9464", false, "127.0.0.1:9464"},
		{"[::1]:9464", false, "[::1]:9464"},
		{"localhost:9464", false, "localhost:9464"},
		{"0.0.0.0:9464", false, ""},
		{"10.1.2.3:9464", false, ""},
		{"0.0.0.0:9464", true, "0.0.0.0:9464"},
		{"a:b:c", false, ""},
	}
	for _, tt := range tests {
		got, err := CheckMetricsAddr(tt.addr, tt.public)
		if tt.want == "" {
			if err == nil {
				t.Errorf("CheckMetricsAddr(%q, %v) = %q, want an error", tt.addr, tt.public, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CheckMetricsAddr(%q, %v) = %q, %v; want %q", tt.addr, tt.public, got, err, tt.want)
		}
	}
}

func TestNormalizeEndpoint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:4318", "http://127.0.0.1:4318"},
		{"http://127.0.0.1:4318/", "http://127.0.0.1:4318"},
		{"https://otel.example:4318/base/", "https://otel.example:4318/base"},
		{"127.0.0.1:4317", "http://127.0.0.1:4317"},
		{"localhost:4317", "http://localhost:4317"},
		{"otel.example:4317", "https://otel.example:4317"},
		{"ftp://x:1", ""},
		{"no-port", ""},
	}
	for _, tt := range tests {
		got, err := normalizeEndpoint(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("normalizeEndpoint(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizeEndpoint(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestProtocol(t *testing.T) {
	tests := []struct{ flag, env, want string }{
		{"", "", ProtocolHTTP},
		{"", "grpc", ProtocolGRPC},
		{"http/protobuf", "grpc", ProtocolHTTP},
		{"http/json", "", ""},
	}
	for _, tt := range tests {
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", tt.env)
		got, err := Config{OTLPProtocol: tt.flag}.Protocol()
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("Protocol(flag %q, env %q) = %q, %v; want %q", tt.flag, tt.env, got, err, tt.want)
		}
	}
}
