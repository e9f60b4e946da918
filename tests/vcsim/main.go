// Command vcsim is the test peer for Infrascope's vSphere collector: a govmomi simulator with a
// model sized from flags, served over HTTPS on a loopback port. It prints one JSON line with the
// URL and the certificate's SHA-256 thumbprint, then runs until stdin closes or it gets SIGTERM.
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o vcsim .
package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers the /rest tagging endpoints
)

type ready struct {
	URL        string `json:"url"`
	Host       string `json:"host"`
	Port       string `json:"port"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	Thumbprint string `json:"thumbprint"`
	ESX        bool   `json:"esx"`
	// Counts holds vcsim's own truth: entities per managed type, for tests to compare against.
	Counts map[string]int `json:"counts"`
}

func main() {
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of vCenter")
	listen := flag.String("listen", "127.0.0.1:0", "listen address (loopback only in tests)")
	username := flag.String("username", "user", "the only accepted login user name")
	password := flag.String("password", "pass", "the only accepted login password")
	dc := flag.Int("dc", -1, "datacenters")
	cluster := flag.Int("cluster", -1, "clusters per datacenter")
	host := flag.Int("host", -1, "hosts per cluster")
	standalone := flag.Int("standalone-host", -1, "standalone hosts per datacenter")
	vm := flag.Int("vm", -1, "VMs per resource pool")
	pool := flag.Int("pool", -1, "child resource pools per cluster")
	ds := flag.Int("ds", -1, "datastores")
	folder := flag.Int("folder", -1, "datacenters placed in folders")
	pg := flag.Int("pg", -1, "distributed portgroups per datacenter")
	app := flag.Int("app", -1, "vApps per cluster")
	quiet := flag.Bool("quiet", true, "discard the simulator's own log output")
	flag.Parse()

	if *quiet {
		log.SetOutput(io.Discard)
	}

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	set := func(dst *int, v int) {
		if v >= 0 {
			*dst = v
		}
	}
	set(&model.Datacenter, *dc)
	set(&model.Cluster, *cluster)
	set(&model.ClusterHost, *host)
	set(&model.Host, *standalone)
	set(&model.Machine, *vm)
	set(&model.Pool, *pool)
	set(&model.Datastore, *ds)
	set(&model.Folder, *folder)
	set(&model.Portgroup, *pg)
	set(&model.App, *app)

	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim: create model:", err)
		os.Exit(1)
	}
	defer model.Remove()

	model.Service.RegisterEndpoints = true
	model.Service.TLS = new(tls.Config)
	// A non-default Listen.User makes SessionManager.Login reject any other credentials, so
	// wrong-password tests mean something.
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}

	server := model.Service.NewServer()
	defer server.Close()

	sum := sha256.Sum256(server.Certificate().Raw)
	hex := make([]string, len(sum))
	for i, b := range sum {
		hex[i] = fmt.Sprintf("%02X", b)
	}
	u := *server.URL
	u.User = nil
	counts := map[string]int{}
	for _, kind := range []string{
		"Datacenter", "Folder", "ComputeResource", "ClusterComputeResource", "HostSystem",
		"ResourcePool", "VirtualApp", "Datastore", "Network", "DistributedVirtualPortgroup",
		"OpaqueNetwork", "DistributedVirtualSwitch", "VmwareDistributedVirtualSwitch", "VirtualMachine",
	} {
		counts[kind] = len(simulator.Map.All(kind))
	}
	out, _ := json.Marshal(ready{
		Counts:     counts,
		URL:        u.String(),
		Host:       u.Hostname(),
		Port:       u.Port(),
		Username:   *username,
		Password:   *password,
		Thumbprint: strings.Join(hex, ":"),
		ESX:        *esx,
	})
	fmt.Println(string(out))

	done := make(chan struct{}, 2)
	go func() {
		// The launcher holds our stdin open; EOF means it went away, so we must too.
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		done <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
}
