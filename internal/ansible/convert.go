package ansible

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"pgafha/internal/connstr"
)

// convert coerces a decoded JSON value to the declared type, accepting the
// string forms Ansible accepts (`-a 'k=v'` passes everything as strings).
func convert(v any, t Type, elements Type) (any, error) {
	switch t {
	case TypeStr:
		return toStr(v)
	case TypeBool:
		return toBool(v)
	case TypeInt:
		return toInt(v)
	case TypeFloat:
		return toFloat(v)
	case TypeList:
		return toList(v, elements)
	case TypeDict:
		return toDict(v)
	case TypeRaw:
		return normalize(v), nil
	}
	return nil, fmt.Errorf("unknown type %q", t)
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number, float64, int:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func toStr(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("a %s cannot be converted to a string", kind(v))
}

var boolWords = map[string]bool{
	"yes": true, "on": true, "1": true, "true": true, "y": true, "t": true,
	"no": false, "off": false, "0": false, "false": false, "n": false, "f": false,
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if b, ok := boolWords[strings.ToLower(strings.TrimSpace(x))]; ok {
			return b, nil
		}
	case json.Number:
		if b, ok := boolWords[x.String()]; ok {
			return b, nil
		}
		if f, err := x.Float64(); err == nil && (f == 0 || f == 1) {
			return f == 1, nil
		}
	}
	return false, fmt.Errorf("%s is not a valid boolean (use true/false, yes/no, on/off, 1/0)", describe(v))
}

func toInt(v any) (int, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	case int:
		return x, nil
	default:
		return 0, fmt.Errorf("a %s cannot be converted to an int", kind(v))
	}
	if i, err := strconv.Atoi(s); err == nil {
		return i, nil
	}
	// 5.0 is an int to Ansible; 5.5 is not.
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f), nil
	}
	return 0, fmt.Errorf("%s cannot be converted to an int", describe(v))
}

func toFloat(v any) (float64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("a %s cannot be converted to a float", kind(v))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s cannot be converted to a float", describe(v))
	}
	return f, nil
}

func toList(v any, elements Type) ([]any, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case string:
		// Ansible splits "a,b,c" into a list; an empty string is an empty list.
		if strings.TrimSpace(x) != "" {
			for _, p := range strings.Split(x, ",") {
				items = append(items, strings.TrimSpace(p))
			}
		}
	case json.Number, bool:
		items = []any{x}
	default:
		return nil, fmt.Errorf("a %s cannot be converted to a list", kind(v))
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		if elements == "" || elements == TypeRaw {
			out = append(out, normalize(it))
			continue
		}
		c, err := convert(it, elements, "")
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func toDict(v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		return normalize(x).(map[string]any), nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return map[string]any{}, nil
		}
		if strings.HasPrefix(s, "{") {
			var m map[string]any
			if err := decodeJSON([]byte(s), &m); err != nil {
				return nil, fmt.Errorf("string is not a valid JSON object: %v", err)
			}
			return normalize(m).(map[string]any), nil
		}
		// k=v pairs separated by spaces or commas, as Ansible accepts.
		m := map[string]any{}
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
			k, val, ok := strings.Cut(f, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%q is not a key=value pair", f)
			}
			m[k] = val
		}
		return m, nil
	}
	return nil, fmt.Errorf("a %s cannot be converted to a dict", kind(v))
}

// normalize turns json.Number into int64 or float64 so module code and the
// JSON encoder see plain Go values. Lists and dicts are rebuilt, so the
// result never shares them with v.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = normalize(val)
		}
		return out
	}
	return v
}

// describe names a rejected value without echoing long or secret content.
// Passwords are masked before truncation: a cut could leave a partial
// password that no longer matches the registered secret.
func describe(v any) string {
	s := connstr.Redact(fmt.Sprint(v))
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// decodeJSON decodes exactly one JSON document, keeping numbers exact;
// trailing data is an error, as it is for Ansible's own json.loads.
func decodeJSON(data []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}
