// Command gfields prints, from a Go binary's DWARF, the byte offsets of the
// runtime.g fields that gomaptrace reads to follow maps on goroutine
// stacks: the test oracle for the layout table in user/probeplan.c.
//
//	gfields BINARY   ->   "stack.lo 0 stack.hi 8 atomicstatus 152 goid 160"
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gfields BINARY")
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
