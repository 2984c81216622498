// Command gfields prints, from a Go binary's DWARF, the byte offsets of the
// runtime.g fields that gomaptrace reads to follow maps on goroutine
// stacks: the test oracle for the layout table in user/probeplan.c.
//
//	gfields BINARY   ->   "stack.lo 0 stack.hi 8 atomicstatus 152 goid 160"
//
// With -trie, the fields of sync.Map's trie (Go >= 1.24: internal/sync.
// HashTrieMap[go.shape.interface {},go.shape.interface {}], its indirect
// and entry nodes) that gomaptrace's trie walk reads (user/synctrie.h):
//
//	gfields -trie BINARY   ->   "ht.inited 0 ht.root 16 ... entry.overflow 8"
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-trie" {
		trie(os.Args[2])
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gfields [-trie] BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gfields:", err)
		os.Exit(1)
	}
	d, err := f.DWARF()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gfields: no DWARF:", err)
		os.Exit(1)
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			fmt.Fprintln(os.Stderr, "gfields: no runtime.g in DWARF")
			os.Exit(1)
		}
		if e.Tag != dwarf.TagStructType || e.Val(dwarf.AttrName) != "runtime.g" {
			continue
		}
		t, err := d.Type(e.Offset)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gfields:", err)
			os.Exit(1)
		}
		off := map[string]int64{}
		for _, fl := range t.(*dwarf.StructType).Field {
			off[fl.Name] = fl.ByteOffset
			ft := fl.Type
			if td, ok := ft.(*dwarf.TypedefType); ok {
				ft = td.Type
			}
			if st, ok := ft.(*dwarf.StructType); ok && fl.Name == "stack" {
				for _, sf := range st.Field {
					off["stack."+sf.Name] = fl.ByteOffset + sf.ByteOffset
				}
			}
		}
		for _, k := range []string{"stack.lo", "stack.hi", "atomicstatus", "goid"} {
			if _, ok := off[k]; !ok {
				fmt.Fprintln(os.Stderr, "gfields: runtime.g has no", k)
				os.Exit(1)
			}
		}
		fmt.Printf("stack.lo %d stack.hi %d atomicstatus %d goid %d\n",
			off["stack.lo"], off["stack.hi"], off["atomicstatus"], off["goid"])
		return
	}
}

// structs returns the DWARF struct types of the binary by name.
func structs(path string) map[string]*dwarf.StructType {
	f, err := elf.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gfields:", err)
		os.Exit(1)
	}
	d, err := f.DWARF()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gfields: no DWARF:", err)
		os.Exit(1)
	}
	out := map[string]*dwarf.StructType{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			return out
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if name == "" {
			continue
		}
		t, err := d.Type(e.Offset)
		if err != nil {
			continue
		}
		if st, ok := t.(*dwarf.StructType); ok {
			out[name] = st
		}
	}
}

// fieldOff is the byte offset of a dotted field path in st ("node.isEntry").
func fieldOff(st *dwarf.StructType, path []string) (int64, bool) {
	for _, fl := range st.Field {
		if fl.Name != path[0] {
			continue
		}
		if len(path) == 1 {
			return fl.ByteOffset, true
		}
		ft := fl.Type
		if td, ok := ft.(*dwarf.TypedefType); ok {
			ft = td.Type
		}
		sub, ok := ft.(*dwarf.StructType)
		if !ok {
			return 0, false
		}
		o, ok := fieldOff(sub, path[1:])
		return fl.ByteOffset + o, ok
	}
	return 0, false
}

func trie(path string) {
	// the GC-shape instantiation: the layout the probed methods are compiled for
	const kv = "[go.shape.interface {},go.shape.interface {}]"
	all := structs(path)
	want := []struct{ label, typ, field string }{
		{"ht.inited", "internal/sync.HashTrieMap" + kv, "inited"},
		{"ht.root", "internal/sync.HashTrieMap" + kv, "root"},
		{"ht.keyHash", "internal/sync.HashTrieMap" + kv, "keyHash"},
		{"ht.seed", "internal/sync.HashTrieMap" + kv, "seed"},
		{"ht.size", "internal/sync.HashTrieMap" + kv, ""},
		{"ind.isEntry", "internal/sync.indirect" + kv, "node.isEntry"},
		{"ind.dead", "internal/sync.indirect" + kv, "dead"},
		{"ind.parent", "internal/sync.indirect" + kv, "parent"},
		{"ind.children", "internal/sync.indirect" + kv, "children"},
		{"ind.size", "internal/sync.indirect" + kv, ""},
		{"entry.isEntry", "internal/sync.entry" + kv, "node.isEntry"},
		{"entry.overflow", "internal/sync.entry" + kv, "overflow"},
		{"entry.key", "internal/sync.entry" + kv, "key"},
		{"entry.size", "internal/sync.entry" + kv, ""},
	}
	sep := ""
	for _, w := range want {
		st, ok := all[w.typ]
		if !ok {
			fmt.Fprintln(os.Stderr, "gfields: no", w.typ, "in DWARF")
			os.Exit(1)
		}
		v := st.ByteSize
		if w.field != "" {
			if v, ok = fieldOff(st, strings.Split(w.field, ".")); !ok {
				fmt.Fprintln(os.Stderr, "gfields:", w.typ, "has no", w.field)
				os.Exit(1)
			}
		}
		fmt.Printf("%s%s %d", sep, w.label, v)
		sep = " "
	}
	fmt.Println()
}
