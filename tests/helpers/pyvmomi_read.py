"""Reads property paths of vSphere managed objects with pyVmomi (Debian's python3-pyvmomi).

An independent client for tests: it shares no code with Infrascope's vim25 codec. Input on stdin
(JSON): {"host", "port", "user", "pwd", "specs": [{"type": "VirtualMachine", "paths": [...]}],
"licenses": true to add LicenseManager.licenses as "_licenses", "files": true to add every
datastore's listing by SearchDatastoreSubFolders_Task as "_files", "searches": true to add the
descriptionIds of the recent tasks started on a HostDatastoreBrowser as "_searches"}.
Output on stdout (JSON): {"<type>": [{"moid": "vm-42", "props": {"<path>": value}}]}, where data
objects become dicts of their set properties (plus "_type"), managed object references their
moid, and times ISO 8601 strings. A path the server does not return is absent from "props".
"""
import datetime
import json
import ssl
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import VmomiSupport, vim, vmodl


def plain(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, VmomiSupport.ManagedObject):
        return v._moId
    if isinstance(v, VmomiSupport.DataObject):
        out = {"_type": type(v).__name__.split(".")[-1]}
        for p in v._GetPropertyList():
            x = getattr(v, p.name, None)
            if x is not None and not (isinstance(x, list) and len(x) == 0):
                out[p.name] = plain(x)
        return out
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, type):
        return v.__name__
    return str(v)


def files(content):
    """[{"datastore": moid, "name", "results": [{"folderPath", "files": [{"path", "type",
    "fileSize", "modification"}]}]}], each datastore searched with every file query."""
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore], True)
    out = []
    try:
        for ds in view.view:
            spec = vim.host.DatastoreBrowser.SearchSpec(
                matchPattern=["*"],
                details=vim.host.DatastoreBrowser.FileInfo.Details(
                    fileType=True, fileSize=True, modification=True, fileOwner=False),
                query=[vim.host.DatastoreBrowser.FolderQuery(),
                       vim.host.DatastoreBrowser.VmDiskQuery(),
                       vim.host.DatastoreBrowser.VmConfigQuery(),
                       vim.host.DatastoreBrowser.VmLogQuery(),
                       vim.host.DatastoreBrowser.VmNvramQuery(),
                       vim.host.DatastoreBrowser.VmSnapshotQuery(),
                       vim.host.DatastoreBrowser.IsoImageQuery(),
                       vim.host.DatastoreBrowser.FloppyImageQuery(),
                       vim.host.DatastoreBrowser.Query()])
            task = ds.browser.SearchDatastoreSubFolders_Task("[%s]" % ds.name, spec)
            WaitForTask(task)
            results = []
            for r in task.info.result or []:
                results.append({
                    "folderPath": r.folderPath,
                    "files": [{
                        "path": f.path,
                        # The wire name of the data object type (vim.host.DatastoreBrowser.VmDiskInfo
                        # is VmDiskFileInfo on the wire).
                        "type": f._wsdlName,
                        "fileSize": f.fileSize,
                        "modification": f.modification.isoformat() if f.modification else None,
                    } for f in (r.file or [])],
                })
            out.append({"datastore": ds._moId, "name": ds.name, "results": results})
    finally:
        view.Destroy()
    return out


def searches(content):
    """The descriptionId of every recent task started on a HostDatastoreBrowser, oldest first."""
    out = []
    for t in content.taskManager.recentTask or []:
        info = t.info
        if (info.descriptionId or "").startswith("HostDatastoreBrowser."):
            out.append(info.descriptionId)
    return out


def main():
    req = json.load(sys.stdin)
    ctx = ssl._create_unverified_context()
    si = SmartConnect(host=req["host"], port=req["port"], user=req["user"], pwd=req["pwd"],
                      sslContext=ctx)
    try:
        content = si.RetrieveContent()
        pc = content.propertyCollector
        result = {}
        for spec in req["specs"]:
            kind = getattr(vim, spec["type"])
            view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
            traverse = vmodl.query.PropertyCollector.TraversalSpec(
                name="view", path="view", skip=False, type=vim.view.ContainerView)
            fs = vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                    obj=view, skip=True, selectSet=[traverse])],
                propSet=[vmodl.query.PropertyCollector.PropertySpec(
                    type=kind, pathSet=spec["paths"], all=False)])
            rows = []
            page = pc.RetrievePropertiesEx([fs], vmodl.query.PropertyCollector.RetrieveOptions())
            while page is not None:
                for o in page.objects:
                    rows.append({"moid": o.obj._moId,
                                 "props": {p.name: plain(p.val) for p in (o.propSet or [])}})
                page = pc.ContinueRetrievePropertiesEx(page.token) if page.token else None
            view.Destroy()
            result[spec["type"]] = rows
        about = content.about
        result["_about"] = plain(about)
        if req.get("licenses") and content.licenseManager is not None:
            result["_licenses"] = plain(content.licenseManager.licenses or [])
        # Searches first: the file listing below starts searches of its own.
        if req.get("searches"):
            result["_searches"] = searches(content)
        if req.get("files"):
            result["_files"] = files(content)
        json.dump(result, sys.stdout)
    finally:
        Disconnect(si)


main()
