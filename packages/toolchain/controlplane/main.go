// Command controlplane is one multi-call binary holding a throw-away Kubernetes control plane for
// server-side dry-run validation: kube-apiserver and kubectl from the pinned k8s.io/kubernetes module,
// etcd from the go.etcd.io/etcd/server/v3 module that Kubernetes release pins, and "certs", which writes
// the certificates and keys they need (crypto/x509, offline).
//
// The tool is chosen by the first argument ("controlplane kubectl get pods") or by the name the binary is
// called by (a symlink named kubectl), like busybox. tools/src/controlplane.ts builds and runs it.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	_ "time/tzdata" // CronJob spec.timeZone validation must not depend on the host's zoneinfo

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics of the apiserver's loopback client
	_ "k8s.io/component-base/metrics/prometheus/version"  // the kubernetes_build_info metric
	"k8s.io/component-base/version"
	kubectl "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
)

var tools = map[string]func(){
	"kube-apiserver": func() { os.Exit(cli.Run(apiserver.NewAPIServerCommand())) },
	"etcd":           func() { etcdmain.Main(os.Args) },
	"kubectl": func() {
		// Verbosity is set before the command is built so that building it (plugins, kuberc) logs at
		// the requested level, as the upstream kubectl binary does.
		_, _ = logs.GlogSetter(kubectl.GetLogVerbosity(os.Args))
		if err := cli.RunNoErrOutput(kubectl.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
	},
	"certs":   func() { os.Exit(certsMain(os.Args[1:])) },
	"version": func() { fmt.Println(version.Get().GitVersion) },
}

// dieWithParent makes the kernel kill this process when the process that started it exits, when the
// starter asked for it by putting its own pid in CONTROLPLANE_PARENT_PID. An interrupted or killed test
// run then cannot leave an apiserver or etcd behind. It runs in init, on the main thread (the Go runtime
// keeps package initialisation on it), which never exits before the process does.
func init() {
	want := os.Getenv("CONTROLPLANE_PARENT_PID")
	if want == "" {
		return
	}
	os.Unsetenv("CONTROLPLANE_PARENT_PID")
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "controlplane: prctl(PR_SET_PDEATHSIG): %v\n", errno)
		os.Exit(1)
	}
	// The parent may have died before prctl: then we were already re-parented.
	if strconv.Itoa(os.Getppid()) != want {
		fmt.Fprintln(os.Stderr, "controlplane: the starting process has already exited")
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(tools))
	for name := range tools {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: controlplane TOOL [ARGS...]\ntools: %v\n", names)
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if _, ok := tools[name]; !ok {
		if len(args) == 0 {
			usage()
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	run, ok := tools[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "controlplane: unknown tool %q\n", name)
		usage()
		os.Exit(2)
	}
	// Each tool parses os.Args as if it were its own binary.
	os.Args = append([]string{name}, args...)
	run()
}
