// Package guard holds the MCP server's safety rules: which hosts load may go
// to and which local folders documents may be read from.
package guard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ErrNotAllowed is wrapped by every refusal.
var ErrNotAllowed = errors.New("not allowed")

// Targets is an allowlist of load targets. Loopback addresses (127.0.0.0/8,
// ::1, and the name localhost) are always on it; more come from entries.
type Targets struct {
	hosts []hostEntry
	nets  []netEntry
	text  []string
	// resolve looks names up (net.DefaultResolver unless a test sets it).
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

type hostEntry struct {
	name string // lower case, no trailing dot
	port int    // 0: any
}

type netEntry struct {
	prefix netip.Prefix
	port   int // 0: any
}

// ParseTargets builds an allowlist from entries of the forms HOST,
// HOST:PORT, IP, IP:PORT, [IPv6]:PORT and CIDR (10.0.0.0/8). Entries may
// also be given comma-separated in one string, as in LOADGEN_ALLOW_TARGETS.
func ParseTargets(entries []string) (*Targets, error) {
	t := &Targets{text: []string{"loopback"}, resolve: lookup}
	t.nets = append(t.nets, netEntry{prefix: netip.MustParsePrefix("127.0.0.0/8")}, netEntry{prefix: netip.MustParsePrefix("::1/128")})
	t.hosts = append(t.hosts, hostEntry{name: "localhost"})
	for _, list := range entries {
		for _, e := range strings.Split(list, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if err := t.add(e); err != nil {
				return nil, fmt.Errorf("allowed target %q: %w", e, err)
			}
			t.text = append(t.text, e)
		}
	}
	return t, nil
}

func (t *Targets) add(e string) error {
	if strings.Contains(e, "://") {
		return errors.New("give a host, host:port or CIDR, not a URL")
	}
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return fmt.Errorf("not a CIDR: %w", err)
		}
		t.nets = append(t.nets, netEntry{prefix: p.Masked()})
		return nil
	}
	host, port := e, 0
	if h, p, err := net.SplitHostPort(e); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want 1-65535", p)
		}
		host, port = h, n
	}
	if a, err := netip.ParseAddr(host); err == nil {
		t.nets = append(t.nets, netEntry{prefix: netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), port: port})
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == "" || strings.ContainsAny(name, " []*") {
		return errors.New("not a host name")
	}
	t.hosts = append(t.hosts, hostEntry{name: name, port: port})
	return nil
}

// String lists the allowlist, for messages.
func (t *Targets) String() string { return strings.Join(t.text, ", ") }

// CheckURL checks a target URL: http or https, and a host on the list (a
// host name not listed by name must resolve only to allowed addresses).
func (t *Targets) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("target %q: want an absolute http:// or https:// URL", raw)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	_, err = t.allowed(ctx, net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return fmt.Errorf("target %s: %w", raw, err)
	}
	return nil
}

// Dial connects to addr ("host:port") only if it is allowed, and then to
// the address that was checked (no second lookup, so a name cannot be
// re-pointed between the check and the connect).
func (t *Targets) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ips, err := t.allowed(ctx, addr)
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	var d net.Dialer
	var first error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// allowed checks host:port and returns the addresses to connect to.
func (t *Targets) allowed(ctx context.Context, addr string) ([]netip.Addr, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return nil, fmt.Errorf("address %q: bad port", addr)
	}
	refuse := func(why string) error {
		return fmt.Errorf("%w: %s %s; this server sends load only to %s (add more with --allow-target HOST[:PORT]|CIDR or LOADGEN_ALLOW_TARGETS)",
			ErrNotAllowed, addr, why, t)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !t.ipAllowed(a.Unmap(), port) {
			return nil, refuse("is not on the allowlist")
		}
		return []netip.Addr{a.Unmap()}, nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	ips, err := t.resolve(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolving %s: no addresses", host)
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	for _, h := range t.hosts {
		if h.name == name && (h.port == 0 || h.port == port) {
			return ips, nil // a listed name: trusted whatever it resolves to
		}
	}
	for _, a := range ips {
		if !t.ipAllowed(a, port) {
			return nil, refuse(fmt.Sprintf("resolves to %s, which is not on the allowlist", a))
		}
	}
	return ips, nil
}

func (t *Targets) ipAllowed(a netip.Addr, port int) bool {
	for _, n := range t.nets {
		if n.prefix.Contains(a) && (n.port == 0 || n.port == port) {
			return true
		}
	}
	return false
}

func lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}
