package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newDouble(t *testing.T, config string, secrets map[string]string) *double {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "application.yaml")
	if config != "" {
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	return &double{spec: Spec{
		Service: "svc", Version: "1.0.0", Live: "/health/live", Ready: "/health/ready",
		HealthPort: "http", MetricsPort: "http", Config: path,
		SecretEnv: []string{"DATABASE_URL", "JWT_SECRET"}, ShutdownSeconds: 5,
	}}
}

func TestReadinessNamesWhatIsMissingOrMalformed(t *testing.T) {
	good := map[string]string{"DATABASE_URL": "postgres://u@db:5432/x", "JWT_SECRET": "s"}
	cases := []struct {
		name    string
		config  string
		secrets map[string]string
		want    string
	}{
		{"ready", "server:\n  port: 8080\n", good, ""},
		{"config missing", "", good, "application.yaml: open"},
		{"config malformed", "server: [unclosed\n", good, "application.yaml: error converting YAML"},
		{"config empty", "# nothing\n", good, "is empty"},
		{"secret missing", "a: 1\n", map[string]string{"DATABASE_URL": "postgres://db:5432/x"}, "secret value JWT_SECRET is missing"},
		{"secret blank", "a: 1\n", map[string]string{"DATABASE_URL": "postgres://db:5432/x", "JWT_SECRET": " "}, "secret value JWT_SECRET is missing"},
		{"url malformed", "a: 1\n", map[string]string{"DATABASE_URL": "db:5432", "JWT_SECRET": "s"}, "DATABASE_URL is not a URL with a scheme and a host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Unsetenv("DATABASE_URL")
			os.Unsetenv("JWT_SECRET")
			d := newDouble(t, c.config, c.secrets)
			got := d.unready()
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("unready() = %q, want %q", got, c.want)
			}
			rec := httptest.NewRecorder()
			d.handler(Port{Name: "http"}).ServeHTTP(rec, httptest.NewRequest("GET", "/health/ready", nil))
			wantStatus := http.StatusOK
			if c.want != "" {
				wantStatus = http.StatusServiceUnavailable
			}
			if rec.Code != wantStatus {
				t.Fatalf("/health/ready = %d, want %d (%s)", rec.Code, wantStatus, rec.Body.String())
			}
		})
	}
}

func TestDrainingTurnsUnready(t *testing.T) {
	d := newDouble(t, "a: 1\n", map[string]string{"DATABASE_URL": "postgres://db:5432/x", "JWT_SECRET": "s"})
	if why := d.unready(); why != "" {
		t.Fatalf("unready before draining: %s", why)
	}
	d.draining.Store(true)
	if why := d.unready(); why != "shutting down" {
		t.Fatalf("unready while draining = %q", why)
	}
}

func TestShutdownFinishesInFlightRequests(t *testing.T) {
	d := newDouble(t, "a: 1\n", map[string]string{"DATABASE_URL": "postgres://db:5432/x", "JWT_SECRET": "s"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: d.handler(Port{Name: "http"})}
	go srv.Serve(ln)
	var wg sync.WaitGroup
	var body string
	var reqErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get("http://" + ln.Addr().String() + "/work?delay=1s")
		if err != nil {
			reqErr = err
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
	}()
	// Wait until the request is in flight, then shut down as SIGTERM does.
	for d.inFlight.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if code := shutdownAll([]*http.Server{srv}, 5*time.Second); code != 0 {
		t.Fatalf("shutdownAll = %d", code)
	}
	wg.Wait()
	if reqErr != nil {
		t.Fatalf("the in-flight request failed: %v", reqErr)
	}
	var answer map[string]string
	if err := json.Unmarshal([]byte(body), &answer); err != nil || answer["version"] != "1.0.0" {
		t.Fatalf("answer %q", body)
	}
}

func TestStoreAnswersPingAndCallsAreCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	go store("redis", []string{port})
	addr := "127.0.0.1:" + port
	deadline := time.Now().Add(5 * time.Second)
	for storeRoundTrip(addr) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store double never answered PING")
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := newDouble(t, "kafka:\n  bootstrap_servers: "+addr+"\n", map[string]string{"DATABASE_URL": "redis://" + addr + "/0", "JWT_SECRET": "s"})
	if got := d.storeAddr(Store{Name: "redis", Env: "DATABASE_URL"}); got != addr {
		t.Fatalf("storeAddr from a URL = %q", got)
	}
	if got := d.storeAddr(Store{Name: "kafka", ConfigKey: "kafka.bootstrap_servers"}); got != addr {
		t.Fatalf("storeAddr from the config = %q", got)
	}
	if probe(addr) != "ok" {
		t.Fatalf("probe of a listening port = %q", probe(addr))
	}
	if got := probe("127.0.0.1:1"); !strings.HasPrefix(got, "refused") {
		t.Fatalf("probe of a closed port = %q", got)
	}
	d.calls.add("redis", nil)
	d.calls.add("redis", errors.New("dial tcp 10.96.0.20:6379: connect: connection refused"))
	if got := d.calls.snapshot()["redis"]; got.OK != 1 || got.Refused != 1 || !strings.Contains(got.LastError, "connection refused") {
		t.Fatalf("calls snapshot = %+v, want 1 ok, 1 refused and the reason", got)
	}
	rec := httptest.NewRecorder()
	d.handler(Port{Name: "http"}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`neurascale_calls_total{service="svc",target="redis",result="ok"} 1`,
		`neurascale_calls_total{service="svc",target="redis",result="refused"} 1`,
		`neurascale_up{service="svc",version="1.0.0"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, rec.Body.String())
		}
	}
}

func TestCallNamesWhyItFailed(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(status.Load())) }))
	defer srv.Close()
	client := &http.Client{Timeout: time.Second}
	if err := call(client, srv.URL); err != nil {
		t.Fatalf("call to a 200 = %v", err)
	}
	status.Store(http.StatusServiceUnavailable)
	if err := call(client, srv.URL); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("call to a 503 = %v, want the status named", err)
	}
	if err := call(client, "http://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("call to a closed port = %v, want connection refused", err)
	}
}

func TestWebSocketUpgradeSwitchesAndSendsOneMessage(t *testing.T) {
	d := newDouble(t, "a: 1\n", nil)
	server := httptest.NewServer(d.handler(Port{Name: "http", Port: 8080}))
	defer server.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(server.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The key and accept value of RFC 6455's own example.
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	head, body, found := strings.Cut(string(raw), "\r\n\r\n")
	if !found || !strings.HasPrefix(head, "HTTP/1.1 101 ") || !strings.Contains(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
		t.Fatalf("no upgrade: %q", head)
	}
	if body[0] != 0x81 || !strings.Contains(body, `"service":"svc"`) || !strings.HasSuffix(body, "\x88\x00") {
		t.Fatalf("unexpected frames: %q", body)
	}
	// A plain request to the same path is answered as usual.
	resp, err := http.Get(server.URL + "/ws")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("plain request: %v %v", resp, err)
	}
}

func TestSelfSignedCoversTheHosts(t *testing.T) {
	pair, err := selfSigned([]string{"a.example.com", "b.example.com"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair([]byte(pair["cert"]), []byte(pair["key"]))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("b.example.com"); err != nil {
		t.Fatal(err)
	}
	if leaf.VerifyHostname("c.example.com") == nil {
		t.Fatal("a host it was not issued for verifies")
	}
}

func TestServesTheCatalogMetricsOfEveryRequest(t *testing.T) {
	d := newDouble(t, "server:\n  port: 8080\n", map[string]string{"DATABASE_URL": "postgres://u@db:5432/x", "JWT_SECRET": "s"})
	d.spec.Metrics = []Metric{
		{Name: "http_requests_total", Type: "counter", Help: "requests", Labels: []string{"method", "route", "status"}},
		{Name: "http_request_duration_seconds", Type: "histogram", Help: "durations", Labels: []string{"method", "route"}, Buckets: []float64{0.5, 1}},
		{Name: "devices_connected", Type: "gauge", Help: "devices", Labels: []string{"device_type"}},
	}
	h := d.handler(Port{Name: "http"})
	for _, path := range []string{"/", "/work", "/health/ready", "/metrics"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	upgrade := httptest.NewRequest("GET", "/", nil)
	upgrade.Header.Set("Upgrade", "websocket")
	upgrade.Header.Set("Connection", "Upgrade")
	upgrade.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	h.ServeHTTP(httptest.NewRecorder(), upgrade)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE http_requests_total counter",
		`http_requests_total{method="GET",route="/",status="200"} 2`,
		`http_requests_total{method="GET",route="/",status="101"} 1`,
		`http_requests_total{method="GET",route="/health/ready",status="200"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/",le="0.5"} 3`,
		`http_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"} 3`,
		`http_request_duration_seconds_count{method="GET",route="/health/ready"} 1`,
		`devices_connected{device_type="e2e"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `route="/metrics"`) {
		t.Errorf("/metrics counts its own scrapes:\n%s", body)
	}
}
