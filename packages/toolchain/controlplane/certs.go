package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// certsMain writes into -dir everything the control plane needs to run with TLS and authentication,
// all made here with crypto/x509 and never leaving the machine:
//
//	ca.crt, ca.key                        the one CA: signs every certificate below and is the apiserver's
//	                                      --client-ca-file and etcd's --trusted-ca-file
//	apiserver.crt, apiserver.key          kube-apiserver serving certificate (127.0.0.1, localhost, kubernetes.default...)
//	etcd.crt, etcd.key                    etcd serving certificate (127.0.0.1, localhost)
//	etcd-client.crt, etcd-client.key      kube-apiserver's client certificate for etcd
//	admin.crt, admin.key                  the admin user: CN=controlplane-admin, O=system:masters
//	service-account.key, .pub             the service-account token signing key pair
//
// Keys are ECDSA P-256, certificates are valid from an hour ago for -valid (the control plane is thrown
// away long before).
func certsMain(args []string) int {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write the certificates and keys into (created, must be empty)")
	serviceIP := fs.String("service-ip", "10.0.0.1", "the kubernetes Service ClusterIP (first IP of --service-cluster-ip-range)")
	valid := fs.Duration("valid", 7*24*time.Hour, "how long the certificates are valid")
	extraIPs := fs.String("ip", "", "further IP addresses the apiserver certificate is valid for, comma-separated (a node's address)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: controlplane certs -dir DIR [-service-ip IP] [-ip IP,...] [-valid DURATION]")
		return 2
	}
	var ips []net.IP
	for _, s := range strings.Split(*extraIPs, ",") {
		if s == "" {
			continue
		}
		ip := net.ParseIP(s)
		if ip == nil {
			fmt.Fprintf(os.Stderr, "controlplane certs: -ip: %q is not an IP address\n", s)
			return 2
		}
		ips = append(ips, ip)
	}
	if err := writeCerts(*dir, net.ParseIP(*serviceIP), ips, *valid); err != nil {
		fmt.Fprintf(os.Stderr, "controlplane certs: %v\n", err)
		return 1
	}
	return 0
}

type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func writeCerts(dir string, serviceIP net.IP, extraIPs []net.IP, valid time.Duration) error {
	if serviceIP == nil {
		return fmt.Errorf("-service-ip is not an IP address")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err != nil {
		return err
	} else if len(entries) != 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	notBefore := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	notAfter := notBefore.Add(time.Hour + valid)

	ca, err := issue(nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "controlplane-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}, notBefore, notAfter)
	if err != nil {
		return err
	}
	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	server := func(cn string, dns []string, ips []net.IP) *x509.Certificate {
		return &x509.Certificate{
			Subject:     pkix.Name{CommonName: cn},
			DNSNames:    dns,
			IPAddresses: ips,
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
	}
	client := func(cn string, orgs ...string) *x509.Certificate {
		return &x509.Certificate{
			Subject:     pkix.Name{CommonName: cn, Organization: orgs},
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
	}
	leaves := []struct {
		name     string
		template *x509.Certificate
	}{
		{"apiserver", server("kube-apiserver", []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		}, append(append(loopback, serviceIP), extraIPs...))},
		{"etcd", server("etcd", []string{"localhost"}, loopback)},
		{"etcd-client", client("kube-apiserver-etcd-client")},
		{"admin", client("controlplane-admin", "system:masters")},
	}

	if err := writePair(dir, "ca", ca); err != nil {
		return err
	}
	for _, leaf := range leaves {
		pair, err := issue(&ca, leaf.template, notBefore, notAfter)
		if err != nil {
			return fmt.Errorf("%s: %w", leaf.name, err)
		}
		if err := writePair(dir, leaf.name, pair); err != nil {
			return err
		}
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, "service-account.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "service-account.pub"), "PUBLIC KEY", pub, 0o644)
}

// issue makes a key and a certificate from template, signed by parent (self-signed when parent is nil).
func issue(parent *issued, template *x509.Certificate, notBefore, notAfter time.Time) (issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return issued{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return issued{}, err
	}
	template.SerialNumber = serial
	template.NotBefore = notBefore
	template.NotAfter = notAfter
	signerCert, signerKey := template, crypto.Signer(key)
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, signerCert, key.Public(), signerKey)
	if err != nil {
		return issued{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return issued{}, err
	}
	return issued{cert: cert, key: key}, nil
}

func writePair(dir, name string, pair issued) error {
	if err := writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", pair.cert.Raw, 0o644); err != nil {
		return err
	}
	return writeKey(filepath.Join(dir, name+".key"), pair.key)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, blockType string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), mode)
}
