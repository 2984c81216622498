#!/usr/bin/env python3
"""oci-image.py ROOTDIR NAME OUT.tar [--entrypoint ARG...] [--cmd ARG...]

A FROM-scratch OCI image archive (the layout `ctr image import` reads):
one uncompressed layer holding ROOTDIR as it is (files owned by root,
mtimes zeroed, so the same tree gives the same image digest), an image
config with the entrypoint and command, and an index naming the image NAME
(e.g. docker.io/library/gomaptrace:0.1.0).  No Docker engine or registry
is needed; buildah would build the same from deploy/Dockerfile's runtime
stage (`FROM scratch`, `COPY build/rootfs/ /`).
"""
import hashlib, io, json, os, sys, tarfile


def main():
    a = sys.argv[1:]
    if len(a) < 3:
        sys.exit(__doc__)
    root, name, out = a[:3]
    entry, cmd, cur = [], [], None
    for x in a[3:]:
        if x in ("--entrypoint", "--cmd"):
            cur = entry if x == "--entrypoint" else cmd
        elif cur is None:
            sys.exit(__doc__)
        else:
            cur.append(x)

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d, dirs, files in os.walk(root):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                p = os.path.join(d, n)
                ti = t.gettarinfo(p, os.path.relpath(p, root))
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                ti.mtime = 0
                if ti.isreg():
                    with open(p, "rb") as f:
                        t.addfile(ti, f)
                else:
                    t.addfile(ti)
    layer = layer.getvalue()
    ldig = "sha256:" + hashlib.sha256(layer).hexdigest()

    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": entry or None, "Cmd": cmd or None,
                   "User": "0:0", "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [ldig]},
        "history": [{"created_by": "tests/k8s/oci-image.py " + os.path.basename(root.rstrip("/"))}],
    }, sort_keys=True).encode()
    cdig = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cdig, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": ldig, "size": len(layer)}],
    }, sort_keys=True).encode()
    mdig = "sha256:" + hashlib.sha256(manifest).hexdigest()
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    index = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdig, "size": len(manifest),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": tag},
        }],
    }, sort_keys=True).encode()

    with tarfile.open(out, "w") as t:
        def put(path, data):
            ti = tarfile.TarInfo(path)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 0
            t.addfile(ti, io.BytesIO(data))
        put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        put("index.json", index)
        for dig, data in ((ldig, layer), (cdig, config), (mdig, manifest)):
            put("blobs/sha256/" + dig.split(":")[1], data)
    print(f"oci-image: {name} {mdig} layer {len(layer)} bytes -> {out}")


main()
