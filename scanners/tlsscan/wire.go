package tlsscan

// builder appends big-endian integers and length-prefixed vectors, the
// presentation language of RFC 8446 §3.
type builder struct{ b []byte }

func (w *builder) u8(v uint8)   { w.b = append(w.b, v) }
func (w *builder) u16(v uint16) { w.b = append(w.b, byte(v>>8), byte(v)) }
func (w *builder) u24(v int)    { w.b = append(w.b, byte(v>>16), byte(v>>8), byte(v)) }
func (w *builder) raw(p []byte) { w.b = append(w.b, p...) }

// vec writes a vector whose length prefix is n bytes wide (1, 2 or 3),
// filled by body.
func (w *builder) vec(n int, body func(*builder)) {
	at := len(w.b)
	w.b = append(w.b, make([]byte, n)...)
	body(w)
	l := len(w.b) - at - n
	for i := 0; i < n; i++ {
		w.b[at+n-1-i] = byte(l >> (8 * i))
	}
}

// reader consumes what builder writes. Every method reports false instead
// of reading past the end, so a hostile length never panics.
type reader struct{ b []byte }

func (r *reader) empty() bool { return len(r.b) == 0 }

func (r *reader) u8(v *uint8) bool {
	if len(r.b) < 1 {
		return false
	}
	*v, r.b = r.b[0], r.b[1:]
	return true
}

func (r *reader) u16(v *uint16) bool {
	if len(r.b) < 2 {
		return false
	}
	*v, r.b = uint16(r.b[0])<<8|uint16(r.b[1]), r.b[2:]
	return true
}

func (r *reader) u24(v *int) bool {
	if len(r.b) < 3 {
		return false
	}
	*v, r.b = int(r.b[0])<<16|int(r.b[1])<<8|int(r.b[2]), r.b[3:]
	return true
}

func (r *reader) bytes(n int, v *[]byte) bool {
	if n < 0 || len(r.b) < n {
		return false
	}
	*v, r.b = r.b[:n:n], r.b[n:]
	return true
}

// vec reads a vector with an n-byte length prefix (1 or 2).
func (r *reader) vec(n int, v *[]byte) bool {
	var l int
	switch n {
	case 1:
		var x uint8
		if !r.u8(&x) {
			return false
		}
		l = int(x)
	case 2:
		var x uint16
		if !r.u16(&x) {
			return false
		}
		l = int(x)
	default:
		return false
	}
	return r.bytes(l, v)
}
