#!/usr/bin/env bash
# certs.sh DIR NODE_IP NODE_NAME: the test node's PKI and kubeconfigs, with
# openssl: one CA (ECDSA P-256, for speed), the API server's serving
# certificate, client certificates for the admin (kubectl), the
# controller-manager, the scheduler, the kubelet (system:node:NAME in
# system:nodes, for the Node authorizer) and the API server's client to the
# kubelets, and the service-account signing key.  Valid one day.
set -euo pipefail
D=$1 IP=$2 NODE=$3
mkdir -p "$D"
cd "$D"
ossl() { openssl "$@" 2>/dev/null; }
key() { ossl ecparam -name prime256v1 -genkey -noout -out "$1.key"; }
key ca
ossl req -x509 -new -key ca.key -days 1 -subj /CN=gm-k8s-test-ca -out ca.crt
# cert NAME SUBJECT [SAN]
cert() {
	local ext=$D/$1.ext
	key "$1"
	ossl req -new -key "$1.key" -subj "$2" -out "$1.csr"
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		if [ -n "${3:-}" ]; then
			echo "extendedKeyUsage=serverAuth,clientAuth"
			echo "subjectAltName=$3"
		else
			echo "extendedKeyUsage=clientAuth"
		fi
	} >"$ext"
	ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
		-extfile "$ext" -out "$1.crt"
	rm -f "$1.csr" "$ext"
}
cert apiserver /CN=kube-apiserver \
	"IP:$IP,IP:127.0.0.1,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost"
cert kubelet-serving "/CN=system:node:$NODE/O=system:nodes" "IP:$IP,DNS:$NODE"
cert admin /CN=gm-admin/O=system:masters
cert controller-manager /CN=system:kube-controller-manager
cert scheduler /CN=system:kube-scheduler
cert kubelet "/CN=system:node:$NODE/O=system:nodes"
cert apiserver-kubelet-client /CN=kube-apiserver-kubelet-client/O=system:masters
ossl ecparam -name prime256v1 -genkey -noout -out sa.key
ossl ec -in sa.key -pubout -out sa.pub
# kubeconfig NAME: NAME.kubeconfig with NAME's client certificate
for n in admin controller-manager scheduler kubelet; do
	cat >"$n.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: gm
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: $D/ca.crt
users:
- name: $n
  user:
    client-certificate: $D/$n.crt
    client-key: $D/$n.key
contexts:
- name: gm
  context: {cluster: gm, user: $n}
current-context: gm
KC
done
