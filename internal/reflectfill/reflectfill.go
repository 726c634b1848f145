// Package reflectfill fills a value, recursively, with non-zero data, for
// tests that must notice a field added later: every exported field, every
// pointer, two elements per slice (different ones) and one entry per map.
package reflectfill

import (
	"fmt"
	"reflect"
)

// Leaf sets v itself when its type needs a particular value (a time, an
// enumeration) and reports whether it did; depth is how deep v lies.
type Leaf func(v reflect.Value, depth int) bool

// Fill sets v and everything below it. leaf is asked first at every level;
// otherwise strings become "s<depth>", integers depth+1, booleans true.
// It panics on a kind it cannot fill (channels, funcs, interfaces), which
// a data model must not hold.
func Fill(v reflect.Value, leaf Leaf) { fill(v, 0, leaf) }

func fill(v reflect.Value, depth int, leaf Leaf) {
	if leaf != nil && leaf(v, depth) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", depth))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(depth + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1, leaf)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), depth+1+i, leaf)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth+1, leaf)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1, leaf)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1, leaf)
			}
		}
	default:
		panic("reflectfill: unhandled kind " + v.Kind().String())
	}
}
