package httpx

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/valyala/fasthttp"
)

func errEOF() error { return io.EOF }

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// JMeter's prefixes for samples that got no HTTP response
// (HTTPSamplerBase.errorResult).
const (
	codePrefix    = "Non HTTP response code: "
	messagePrefix = "Non HTTP response message: "
)

// Describe maps a transport error to the responseCode and responseMessage
// JMeter 5.6 (HttpClient 4) writes for the same failure, so dashboards group
// loadgen and JMeter errors alike. addr is the request's host:port.
func Describe(err error, p *Prepared) (code, message string) {
	class, msg := classify(err, p)
	return codePrefix + class, messagePrefix + msg
}

func classify(err error, p *Prepared) (class, msg string) {
	var de *DialError
	var te *TLSError
	var ne net.Error
	switch {
	case errors.As(err, &de):
		var dns *net.DNSError
		if errors.As(de.Err, &dns) {
			return "java.net.UnknownHostException", p.Host + ": Name or service not known"
		}
		target := "Connect to " + p.Addr + " [" + hostIP(de) + "] failed: "
		switch {
		case errors.Is(de.Err, syscall.ECONNREFUSED):
			return "org.apache.http.conn.HttpHostConnectException", target + "Connection refused"
		case errors.As(de.Err, &ne) && ne.Timeout():
			return "org.apache.http.conn.ConnectTimeoutException", target + "Connect timed out"
		case errors.Is(de.Err, syscall.EHOSTUNREACH), errors.Is(de.Err, syscall.ENETUNREACH):
			return "java.net.NoRouteToHostException", target + "No route to host"
		}
		return "java.net.ConnectException", target + errText(de.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "org.apache.http.conn.HttpHostConnectException", "Connect to " + p.Addr + " [" + p.Host + "] failed: Connection refused"
	case errors.As(err, &te):
		var ue x509.UnknownAuthorityError
		var he x509.HostnameError
		var ce x509.CertificateInvalidError
		if errors.As(te.Err, &ue) || errors.As(te.Err, &he) || errors.As(te.Err, &ce) {
			return "javax.net.ssl.SSLHandshakeException", "PKIX path building failed: " + errText(te.Err)
		}
		if errors.As(te.Err, &ne) && ne.Timeout() {
			return "java.net.SocketTimeoutException", "Read timed out"
		}
		return "javax.net.ssl.SSLHandshakeException", "Remote host terminated the handshake"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "java.net.SocketTimeoutException", "Read timed out"
	case errors.As(err, &ne) && ne.Timeout():
		return "java.net.SocketTimeoutException", "Read timed out"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED):
		return "java.net.SocketException", "Connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "java.net.SocketException", "Broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return "org.apache.http.NoHttpResponseException", p.Addr + " failed to respond"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "org.apache.http.ConnectionClosedException", "Premature end of message body"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "java.io.IOException", "Response body larger than the limit"
	}
	var ce fasthttp.ErrBrokenChunk
	if errors.As(err, &ce) {
		return "org.apache.http.TruncatedChunkException", "Truncated chunk"
	}
	return "java.io.IOException", errText(err)
}

func hostIP(de *DialError) string {
	var oe *net.OpError
	if errors.As(de.Err, &oe) && oe.Addr != nil {
		ip := oe.Addr.String()
		if h, _, err := net.SplitHostPort(ip); err == nil {
			ip = h
		}
		if de.Host == ip {
			return "/" + ip
		}
		return de.Host + "/" + ip
	}
	return de.Host
}

// errText is the innermost error text, without Go's "dial tcp ...:" chain.
func errText(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	s := err.Error()
	if s == "" {
		return "unknown error"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
