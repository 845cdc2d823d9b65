package main

// The metrics the catalog declares for the service (its telemetry), served on its metrics port as a real
// instrumentation library would: every request the double serves (probes included, /metrics itself not) is
// counted in http_requests_total by method, route and status, and timed in every declared histogram. A
// declared metric with labels a double cannot know (device_type, stage) carries the value "e2e" there; a
// gauge reports the requests in flight. So that Prometheus, scraping through the generated monitors'
// selectors, finds exactly the series the rules and dashboards read.

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metric is one entry of the catalog's telemetry.metrics.
type Metric struct {
	Name    string    `json:"name"`
	Type    string    `json:"type"`
	Help    string    `json:"help"`
	Labels  []string  `json:"labels"`
	Buckets []float64 `json:"buckets,omitempty"`
}

type series struct {
	count   float64
	sum     float64
	buckets []float64 // cumulative counts per bound of the metric
}

type telemetry struct {
	mu      sync.Mutex
	metrics []Metric
	values  map[string]map[string]*series // metric -> label values joined by \x00 -> series
}

func newTelemetry(metrics []Metric) *telemetry {
	return &telemetry{metrics: metrics, values: map[string]map[string]*series{}}
}

// labelValues gives the request's value for each of the metric's labels ("e2e" for what a double cannot know).
func labelValues(m Metric, method, route string, status int) []string {
	out := make([]string, len(m.Labels))
	for i, l := range m.Labels {
		switch l {
		case "method":
			out[i] = method
		case "route":
			out[i] = route
		case "status":
			out[i] = strconv.Itoa(status)
		default:
			out[i] = "e2e"
		}
	}
	return out
}

// observe records one served request in every counter and histogram.
func (t *telemetry) observe(method, route string, status int, seconds float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.metrics {
		if m.Type == "gauge" {
			continue
		}
		key := strings.Join(labelValues(m, method, route, status), "\x00")
		byKey := t.values[m.Name]
		if byKey == nil {
			byKey = map[string]*series{}
			t.values[m.Name] = byKey
		}
		s := byKey[key]
		if s == nil {
			s = &series{buckets: make([]float64, len(m.Buckets))}
			byKey[key] = s
		}
		s.count++
		s.sum += seconds
		for i, bound := range m.Buckets {
			if seconds <= bound {
				s.buckets[i]++
			}
		}
	}
}

func labelSet(names, values []string, extra ...string) string {
	parts := make([]string, 0, len(names)+1)
	for i, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%q", n, values[i]))
	}
	parts = append(parts, extra...)
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// bound formats a bucket bound as Prometheus clients do ("0.5", "1", "+Inf").
func bound(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// write renders the declared metrics in Prometheus's text format, series sorted.
func (t *telemetry) write(w io.Writer, inFlight int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.metrics {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.Name, m.Help, m.Name, m.Type)
		if m.Type == "gauge" {
			fmt.Fprintf(w, "%s%s %d\n", m.Name, labelSet(m.Labels, labelValues(m, "", "", 0)), inFlight)
			continue
		}
		keys := make([]string, 0, len(t.values[m.Name]))
		for k := range t.values[m.Name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := t.values[m.Name][k]
			values := strings.Split(k, "\x00")
			if len(m.Labels) == 0 {
				values = nil
			}
			if m.Type != "histogram" {
				fmt.Fprintf(w, "%s%s %g\n", m.Name, labelSet(m.Labels, values), s.count)
				continue
			}
			for i, b := range m.Buckets {
				fmt.Fprintf(w, "%s_bucket%s %g\n", m.Name, labelSet(m.Labels, values, fmt.Sprintf("le=%q", bound(b))), s.buckets[i])
			}
			fmt.Fprintf(w, "%s_bucket%s %g\n", m.Name, labelSet(m.Labels, values, `le="+Inf"`), s.count)
			fmt.Fprintf(w, "%s_sum%s %g\n", m.Name, labelSet(m.Labels, values), s.sum)
			fmt.Fprintf(w, "%s_count%s %g\n", m.Name, labelSet(m.Labels, values), s.count)
		}
	}
}

// statusRecorder remembers the status a handler wrote (200 when it wrote none).
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// instrumented counts and times every request of mux except the metrics endpoint, by the pattern it matched.
func (t *telemetry) instrumented(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := mux.Handler(r)
		if route == "/metrics" {
			mux.ServeHTTP(w, r)
			return
		}
		started := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		var target http.ResponseWriter = rec
		if isWebSocketUpgrade(r) {
			// The upgrade hijacks the connection: keep the original writer, and count it as 101.
			target = w
			rec.status = http.StatusSwitchingProtocols
		}
		mux.ServeHTTP(target, r)
		if route == "" {
			route = "/"
		}
		t.observe(r.Method, route, rec.status, time.Since(started).Seconds())
	})
}
