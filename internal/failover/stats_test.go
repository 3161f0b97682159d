package failover

import "testing"

func TestSpreadOf(t *testing.T) {
	cases := []struct {
		in          []float64
		median, max float64
	}{
		{[]float64{4.2}, 4.2, 4.2},
		{[]float64{5, 1, 3}, 3, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 4},
		{[]float64{3.7001, 3.7002}, 3.7, 3.7002},
	}
	for _, c := range cases {
		s, ok := SpreadOf(c.in)
		if !ok || s.Median != c.median || s.Max != c.max || s.N != len(c.in) {
			t.Errorf("SpreadOf(%v) = %+v, %v; want median %v max %v", c.in, s, ok, c.median, c.max)
		}
	}
	if _, ok := SpreadOf(nil); ok {
		t.Error("SpreadOf(nil) reported a spread")
	}
	in := []float64{3, 1, 2}
	SpreadOf(in)
	if in[0] != 3 {
		t.Error("SpreadOf sorted its argument in place")
	}
}
