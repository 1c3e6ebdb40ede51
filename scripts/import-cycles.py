#!/usr/bin/env python3
"""Import cycles between the files of a Rust crate, read from its `crate::`, `super::` and `self::` paths.

Usage: scripts/import-cycles.py sider/src

A file is a module (`conn/driver.rs` is `conn::driver`); a path names the deepest module it
reaches. Prints each strongly connected set of two or more files: a cycle of imports.
"""
import os
import re
import sys

root=sys.argv[1]
files={}
for dp,dn,fn in os.walk(root):
    for f in fn:
        if f.endswith('.rs'):
            p=os.path.join(dp,f); rel=os.path.relpath(p,root)[:-3]
            parts=rel.split('/')
            if parts[-1] in ('mod','lib'): parts=parts[:-1]
            mod='::'.join(parts)
            files[mod]=open(p).read()
mods=set(files)
def resolve(cur, path):
    # path like crate::a::b::c or super::x
    segs=path.split('::')
    if segs[0]=='crate': base=[]; segs=segs[1:]
    elif segs[0]=='super':
        base=cur.split('::') if cur else []
        # a file module's super is its parent
        base=base[:-1]
        segs=segs[1:]
        while segs and segs[0]=='super': base=base[:-1]; segs=segs[1:]
    elif segs[0]=='self':
        base=cur.split('::') if cur else []; segs=segs[1:]
    else: return None
    best=None
    for i in range(len(segs),-1,-1):
        cand='::'.join(base+segs[:i])
        if cand in mods: best=cand; break
    return best
edges={m:set() for m in mods}
for m,src in files.items():
    src=re.sub(r'//.*','',src)
    for path in re.findall(r'\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)',src):
        t=resolve(m,path)
        if t is not None and t!=m and not m.startswith(t+'::') and t!='':
            # ignore edges from a child to its own ancestors' mod file? keep them: they are real imports
            edges[m].add(t)
    # use crate::x::{a, b}
    for base,inner in re.findall(r'\b((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^}]*)\}',src):
        for item in inner.split(','):
            item=item.strip().split(' ')[0]
            if not item: continue
            t=resolve(m,base+'::'+item.split('::')[0])
            if t is not None and t!=m and t!='' and not m.startswith(t+'::'):
                edges[m].add(t)
# tarjan
idx={};low={};st=[];on=set();res=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w); low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v: break
        if len(comp)>1: res.append(sorted(comp))
for v in mods:
    if v not in idx: sc(v)
print(len(res),"cycles over",sum(len(r) for r in res),"of",len(mods),"files")
for r in res: print("  ", " <-> ".join(r))
