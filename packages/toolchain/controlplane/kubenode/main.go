// Command kubenode is one multi-call binary holding the node side of the end-to-end cluster: kubelet,
// kube-proxy, kube-scheduler and kube-controller-manager, from the same k8s.io/kubernetes module and
// go.mod as the control plane, so that one build cache serves both.
//
// The tool is chosen by the first argument ("kubenode kubelet --config ...") or by the name the binary is
// called by, like the control plane binary. packages/cluster builds and runs it, each component under
// setpriv --pdeathsig KILL, so that none outlives the cluster's supervisor.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	_ "time/tzdata" // CronJob spec.timeZone support in the controller manager

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // the kubernetes_build_info metric
	"k8s.io/component-base/version"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

var tools = map[string]func(){
	"kubelet":                 func() { os.Exit(cli.Run(kubelet.NewKubeletCommand(context.Background()))) },
	"kube-proxy":              func() { os.Exit(cli.Run(proxy.NewProxyCommand())) },
	"kube-scheduler":          func() { os.Exit(cli.Run(scheduler.NewSchedulerCommand())) },
	"kube-controller-manager": func() { os.Exit(cli.Run(controllermanager.NewControllerManagerCommand())) },
	"version":                 func() { fmt.Println(version.Get().GitVersion) },
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if _, ok := tools[name]; !ok {
		if len(args) == 0 {
			names := make([]string, 0, len(tools))
			for n := range tools {
				names = append(names, n)
			}
			sort.Strings(names)
			fmt.Fprintf(os.Stderr, "usage: kubenode TOOL [ARGS...]\ntools: %v\n", names)
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	run, ok := tools[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "kubenode: unknown tool %q\n", name)
		os.Exit(2)
	}
	os.Args = append([]string{name}, args...)
	run()
}
