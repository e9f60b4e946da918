"""The reference client for `npm run bench`: pyVmomi reads the property paths the collector reads.

Reads a JSON job on stdin (host, port, user, password, views: [{types, propSets: [[type, paths]]}]),
creates a container view per entry, retrieves every page of its objects' properties with
RetrievePropertiesEx / ContinueRetrievePropertiesEx (1,000 objects a page, as the collector), and
prints one JSON line: {"ms", "objects", "cpuMs"}, or {"missing": why} when pyVmomi is not installed.
"""
import json
import ssl
import sys
import time

try:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim, vmodl
except ImportError as e:  # Debian's python3-pyvmomi not installed
    print(json.dumps({"missing": f"pyVmomi is not installed (apt install python3-pyvmomi): {e}"}))
    sys.exit(0)


def main() -> None:
    job = json.load(sys.stdin)
    t0 = time.perf_counter()
    c0 = time.process_time()
    si = SmartConnect(
        host=job["host"],
        port=job["port"],
        user=job["user"],
        pwd=job["password"],
        # Debian's pyVmomi 6.7 has no disableSslCertValidation: an unverified context does it.
        sslContext=ssl._create_unverified_context(),
    )
    objects = 0
    try:
        content = si.RetrieveContent()
        pc = content.propertyCollector
        PC = vmodl.query.PropertyCollector
        for view in job["views"]:
            cv = content.viewManager.CreateContainerView(
                content.rootFolder, [getattr(vim, t) for t in view["types"]], True
            )
            spec = PC.FilterSpec(
                objectSet=[
                    PC.ObjectSpec(
                        obj=cv,
                        skip=True,
                        selectSet=[
                            PC.TraversalSpec(
                                name="traverseView", path="view", skip=False, type=vim.view.ContainerView
                            )
                        ],
                    )
                ],
                propSet=[
                    PC.PropertySpec(type=getattr(vim, t), pathSet=list(paths), all=False)
                    for t, paths in view["propSets"]
                ],
            )
            result = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1000))
            while result is not None:
                objects += len(result.objects)
                if not result.token:
                    break
                result = pc.ContinueRetrievePropertiesEx(result.token)
            cv.Destroy()
    finally:
        Disconnect(si)
    print(
        json.dumps(
            {
                "ms": (time.perf_counter() - t0) * 1000,
                "objects": objects,
                "cpuMs": (time.process_time() - c0) * 1000,
            }
        )
    )


main()
