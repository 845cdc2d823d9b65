// Command double stands in for every Neural Engine service, data store and the pause container in the
// end-to-end cluster. It honours what the generated manifests promise a service does:
//
//   - liveness, readiness and metrics endpoints on the catalog's ports;
//   - readiness only while its mounted config parses and every secret key it needs is present and
//     well-formed (a missing or malformed one keeps it unready, and /health/ready says which);
//   - graceful shutdown: on SIGTERM it turns unready, finishes in-flight requests within the grace
//     period the catalog gives and exits 0;
//   - continuously, a request to every service it calls in the catalog and a round trip to every data
//     store it uses, counted as successes and refusals in /metrics and /calls;
//   - /probe?target=host:port, a connection attempt from inside the pod, so that a test can ask for a call
//     the graph does not declare and see the NetworkPolicy refuse it; /resolve?name=NAME, a DNS lookup.
//
// What it is comes from a JSON spec baked into its image (-spec, default /double/service.json), written
// by packages/cluster from the service catalog; the version it reports is the image tag.
//
// Modes: "double serve" (the default), "double store NAME PORT..." (a data store: answers "PING" with
// "PONG NAME" on each port), "double pause" (the pod sandbox: sleeps until signalled) and "double tls
// HOST..." (prints a self-signed certificate and key for the hosts, for the harness).
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

type Port struct {
	Name string `json:"name"`
	Port int    `json:"port"`
}

type Call struct {
	// Name is "service/port", as the catalog says it.
	Name string `json:"name"`
	URL  string `json:"url"`
}

type Store struct {
	Name string `json:"name"`
	// Env names the environment variable (from a Secret) holding the store's URL, or ConfigKey the
	// dotted key of the mounted config holding host:port.
	Env       string `json:"env,omitempty"`
	ConfigKey string `json:"configKey,omitempty"`
}

type Spec struct {
	Service         string   `json:"service"`
	Version         string   `json:"version"`
	Ports           []Port   `json:"ports"`
	Live            string   `json:"live"`
	Ready           string   `json:"ready"`
	HealthPort      string   `json:"healthPort"`
	MetricsPort     string   `json:"metricsPort"`
	Config          string   `json:"config"`
	SecretEnv       []string `json:"secretEnv"`
	Calls           []Call   `json:"calls"`
	Stores          []Store  `json:"stores"`
	ShutdownSeconds int      `json:"shutdownSeconds"`
	// Metrics are the catalog's telemetry.metrics, served on the metrics port (telemetry.go).
	Metrics []Metric `json:"metrics,omitempty"`
}

// tally is what one target's calls came to: successes, refusals and why the last refusal happened.
type tally struct {
	OK        int64  `json:"ok"`
	Refused   int64  `json:"refused"`
	LastError string `json:"lastError,omitempty"`
}

type counter struct {
	mu     sync.Mutex
	counts map[string]*tally // target -> tally
}

// add counts one call to target: a success when err is nil, else a refusal and its reason.
func (c *counter) add(target string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]*tally{}
	}
	t := c.counts[target]
	if t == nil {
		t = &tally{}
		c.counts[target] = t
	}
	if err == nil {
		t.OK++
		return
	}
	t.Refused++
	t.LastError = err.Error()
}

func (c *counter) snapshot() map[string]tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]tally, len(c.counts))
	for target, t := range c.counts {
		out[target] = *t
	}
	return out
}

type double struct {
	spec      Spec
	telemetry *telemetry
	draining  atomic.Bool
	requests  atomic.Int64
	inFlight  atomic.Int64
	calls     counter
}

// unready says why the service must not take traffic, or "" when it may.
func (d *double) unready() string {
	if d.draining.Load() {
		return "shutting down"
	}
	if d.spec.Config != "" {
		if _, err := d.config(); err != nil {
			return err.Error()
		}
	}
	for _, name := range d.spec.SecretEnv {
		value, ok := os.LookupEnv(name)
		if !ok || strings.TrimSpace(value) == "" {
			return fmt.Sprintf("secret value %s is missing", name)
		}
		if strings.HasSuffix(name, "_URL") {
			if u, err := url.Parse(value); err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Sprintf("secret value %s is not a URL with a scheme and a host", name)
			}
		}
	}
	return ""
}

func (d *double) config() (map[string]any, error) {
	raw, err := os.ReadFile(d.spec.Config)
	if err != nil {
		return nil, fmt.Errorf("config %s: %v", d.spec.Config, err)
	}
	var parsed map[string]any
	if err := yaml.Unmarshal(raw, &parsed); err != nil {
		return nil, fmt.Errorf("config %s: %v", d.spec.Config, err)
	}
	if len(parsed) == 0 {
		return nil, fmt.Errorf("config %s is empty", d.spec.Config)
	}
	return parsed, nil
}

func lookup(config map[string]any, dotted string) string {
	var node any = config
	for _, key := range strings.Split(dotted, ".") {
		m, ok := node.(map[string]any)
		if !ok {
			return ""
		}
		node = m[key]
	}
	if s, ok := node.(string); ok {
		return s
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (d *double) handler(port Port) http.Handler {
	// Built before any server starts (serve builds every port's handler first).
	if d.telemetry == nil {
		d.telemetry = newTelemetry(d.spec.Metrics)
	}
	mux := http.NewServeMux()
	if port.Name == d.spec.HealthPort {
		mux.HandleFunc(d.spec.Live, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "live"})
		})
		mux.HandleFunc(d.spec.Ready, func(w http.ResponseWriter, _ *http.Request) {
			if why := d.unready(); why != "" {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unready", "reason": why})
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		})
		mux.HandleFunc("/calls", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, d.calls.snapshot())
		})
		mux.HandleFunc("/config", func(w http.ResponseWriter, _ *http.Request) {
			raw, err := os.ReadFile(d.spec.Config)
			if err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
				return
			}
			sum := sha256.Sum256(raw)
			writeJSON(w, http.StatusOK, map[string]string{"sha256": hex.EncodeToString(sum[:]), "content": string(raw)})
		})
		mux.HandleFunc("/resolve", func(w http.ResponseWriter, r *http.Request) {
			name := r.URL.Query().Get("name")
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			addrs, err := net.DefaultResolver.LookupHost(ctx, name)
			if err != nil {
				writeJSON(w, http.StatusOK, map[string]any{"name": name, "error": err.Error()})
				return
			}
			sort.Strings(addrs)
			writeJSON(w, http.StatusOK, map[string]any{"name": name, "addresses": addrs})
		})
		mux.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
			target := r.URL.Query().Get("target")
			writeJSON(w, http.StatusOK, map[string]string{"target": target, "result": probe(target)})
		})
	}
	if port.Name == d.spec.MetricsPort {
		mux.HandleFunc("/metrics", d.metrics)
	}
	// Everything else is the service's work: it answers who served it, so that a test sees which
	// version and which pod took each request.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.inFlight.Add(1)
		defer d.inFlight.Add(-1)
		d.requests.Add(1)
		if delay, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil && delay > 0 && delay <= 30*time.Second {
			time.Sleep(delay)
		}
		host, _ := os.Hostname()
		served := map[string]string{"service": d.spec.Service, "version": d.spec.Version, "pod": host, "port": port.Name}
		if isWebSocketUpgrade(r) {
			upgrade(w, r, served)
			return
		}
		writeJSON(w, http.StatusOK, served)
	})
	return d.telemetry.instrumented(mux)
}

// isWebSocketUpgrade reports a client's request to switch the connection to WebSocket (RFC 6455).
func isWebSocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") &&
		r.Header.Get("Sec-WebSocket-Key") != ""
}

// webSocketAccept is the Sec-WebSocket-Accept value that proves the server read the client's key.
func webSocketAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// upgrade switches the connection to WebSocket, sends who served it as one text message and closes: enough
// for a test to see that an upgrade passed every proxy on the way and that data flows over it.
func upgrade(w http.ResponseWriter, r *http.Request, served map[string]string) {
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot upgrade this connection", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hijacker.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	payload, _ := json.Marshal(served)
	fmt.Fprintf(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		webSocketAccept(r.Header.Get("Sec-WebSocket-Key")))
	// One unmasked text frame (FIN, opcode 1; the payload is under 126 bytes), then a close frame.
	buf.Write([]byte{0x81, byte(len(payload))})
	buf.Write(payload)
	buf.Write([]byte{0x88, 0x00})
	buf.Flush()
}

func (d *double) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	ready := 1
	if d.unready() != "" {
		ready = 0
	}
	fmt.Fprintf(w, "# HELP neurascale_up Whether the service is ready to take traffic.\n# TYPE neurascale_up gauge\n")
	fmt.Fprintf(w, "neurascale_up{service=%q,version=%q} %d\n", d.spec.Service, d.spec.Version, ready)
	fmt.Fprintf(w, "# HELP neurascale_requests_total Requests served.\n# TYPE neurascale_requests_total counter\n")
	fmt.Fprintf(w, "neurascale_requests_total{service=%q} %d\n", d.spec.Service, d.requests.Load())
	fmt.Fprintf(w, "# HELP neurascale_requests_in_flight Requests being served.\n# TYPE neurascale_requests_in_flight gauge\n")
	fmt.Fprintf(w, "neurascale_requests_in_flight{service=%q} %d\n", d.spec.Service, d.inFlight.Load())
	fmt.Fprintf(w, "# HELP neurascale_calls_total Calls to other services and data stores, by result.\n# TYPE neurascale_calls_total counter\n")
	snap := d.calls.snapshot()
	targets := make([]string, 0, len(snap))
	for t := range snap {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		fmt.Fprintf(w, "neurascale_calls_total{service=%q,target=%q,result=\"ok\"} %d\n", d.spec.Service, t, snap[t].OK)
		fmt.Fprintf(w, "neurascale_calls_total{service=%q,target=%q,result=\"refused\"} %d\n", d.spec.Service, t, snap[t].Refused)
	}
	d.telemetry.write(w, d.inFlight.Load())
}

// probe opens a TCP connection to target; "ok" when it is accepted, else why not.
func probe(target string) string {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return "bad target: " + err.Error()
	}
	conn, err := net.DialTimeout("tcp", target, 2*time.Second)
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return "timeout"
		}
		return "refused: " + err.Error()
	}
	_ = conn.Close()
	return "ok"
}

// storeRoundTrip sends PING to a data store double and expects PONG.
func storeRoundTrip(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, "PING\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "PONG") {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

func (d *double) storeAddr(s Store) string {
	if s.Env != "" {
		u, err := url.Parse(os.Getenv(s.Env))
		if err != nil {
			return ""
		}
		return u.Host
	}
	config, err := d.config()
	if err != nil {
		return ""
	}
	return strings.Split(lookup(config, s.ConfigKey), ",")[0]
}

func (d *double) callLoop(ctx context.Context) {
	// A new connection per call, so that each one measures the network as it is now: a kept-alive
	// connection would outlive a NetworkPolicy change or pin whatever answered first. No proxy from the
	// environment either: the call goes to the Service.
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, c := range d.spec.Calls {
			d.calls.add(c.Name, call(client, c.URL))
		}
		for _, s := range d.spec.Stores {
			addr := d.storeAddr(s)
			if addr == "" {
				d.calls.add(s.Name, fmt.Errorf("no address for %s in the config or the environment", s.Name))
				continue
			}
			d.calls.add(s.Name, storeRoundTrip(addr))
		}
	}
}

// call asks url once; nil when it answers 200.
func call(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func serve(specPath string) int {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "double: %v\n", err)
		return 1
	}
	d := &double{}
	if err := json.Unmarshal(raw, &d.spec); err != nil {
		fmt.Fprintf(os.Stderr, "double: %s: %v\n", specPath, err)
		return 1
	}
	grace := time.Duration(d.spec.ShutdownSeconds) * time.Second
	if grace <= 0 {
		grace = 10 * time.Second
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	servers := make([]*http.Server, 0, len(d.spec.Ports))
	failed := make(chan error, len(d.spec.Ports))
	for _, p := range d.spec.Ports {
		srv := &http.Server{Addr: fmt.Sprintf(":%d", p.Port), Handler: d.handler(p), ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, srv)
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				failed <- err
			}
		}()
	}
	callCtx, stopCalls := context.WithCancel(ctx)
	defer stopCalls()
	go d.callLoop(callCtx)
	fmt.Printf("double: %s %s serving %d port(s)\n", d.spec.Service, d.spec.Version, len(servers))
	select {
	case err := <-failed:
		fmt.Fprintf(os.Stderr, "double: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	// SIGTERM: take no new traffic (readiness fails), finish what is in flight within the grace period.
	d.draining.Store(true)
	stopCalls()
	code := shutdownAll(servers, grace)
	fmt.Printf("double: %s stopped after %d request(s)\n", d.spec.Service, d.requests.Load())
	return code
}

// shutdownAll stops the servers the way SIGTERM asks: no new connections, in-flight requests finished
// within the grace period; 1 when one could not finish in time.
func shutdownAll(servers []*http.Server, grace time.Duration) int {
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	code := 0
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(shutdown); err != nil {
				mu.Lock()
				code = 1
				mu.Unlock()
				fmt.Fprintf(os.Stderr, "double: shutdown of %s: %v\n", srv.Addr, err)
			}
		}()
	}
	wg.Wait()
	return code
}

func store(name string, ports []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	for _, p := range ports {
		ln, err := net.Listen("tcp", ":"+p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "double store: %v\n", err)
			return 1
		}
		go func() {
			<-ctx.Done()
			ln.Close()
		}()
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer conn.Close()
					_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
					r := bufio.NewReader(conn)
					for {
						line, err := r.ReadString('\n')
						if err != nil {
							return
						}
						if strings.TrimSpace(line) == "PING" {
							fmt.Fprintf(conn, "PONG %s\n", name)
						}
					}
				}()
			}
		}()
	}
	fmt.Printf("double store: %s on %v\n", name, ports)
	<-ctx.Done()
	return 0
}

func main() {
	mode := "serve"
	args := os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		spec := fs.String("spec", "/double/service.json", "the service's spec, written from the catalog")
		_ = fs.Parse(args)
		os.Exit(serve(*spec))
	case "store":
		if len(args) < 2 {
			fmt.Fprintln(os.Stderr, "usage: double store NAME PORT...")
			os.Exit(2)
		}
		os.Exit(store(args[0], args[1:]))
	case "pause":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		<-ctx.Done()
	case "tls":
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: double tls HOST...")
			os.Exit(2)
		}
		pair, err := selfSigned(args, time.Now())
		if err != nil {
			fmt.Fprintf(os.Stderr, "double tls: %v\n", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(pair)
	default:
		fmt.Fprintf(os.Stderr, "double: unknown mode %q (serve, store, pause, tls)\n", mode)
		os.Exit(2)
	}
}

// selfSigned writes a short-lived self-signed certificate for hosts, in PEM: the Secret cert-manager would
// write for a Gateway listener, where no cert-manager runs.
func selfSigned(hosts []string, now time.Time) (map[string]string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: hosts[0]},
		DNSNames:     hosts,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDer, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"cert": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDer})),
	}, nil
}
