package connstr

import "testing"

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://u:pw@h/db", "postgres://u:********@h/db"},
		{"postgresql://:pw@h:5432/db?sslmode=require", "postgresql://:********@h:5432/db?sslmode=require"},
		{"postgres://u:pw@h1:5432,h2:5433/db?target_session_attrs=read-write", "postgres://u:********@h1:5432,h2:5433/db?target_session_attrs=read-write"},
		{"dial postgres://u:p@ss@h/db: refused", "dial postgres://u:********@h/db: refused"},
		{"postgres://u:p%40ss@h/db", "postgres://u:********@h/db"},
		{"postgres://u@h/db and mail a@b", "postgres://u@h/db and mail a@b"},
		{"postgres://h/db?user=u&password=pw&sslmode=disable", "postgres://h/db?user=u&password=********&sslmode=disable"},
		{"host=x password=pw dbname=y", "host=x password=******** dbname=y"},
		{"host=x password = 'a b\\'c' dbname=y", "host=x password = ******** dbname=y"},
		{"host=x PASSWORD=pw;&x dbname=y", "host=x PASSWORD=******** dbname=y"},
		{"sslpassword=keypw host=x", "sslpassword=******** host=x"},
		{`cannot parse "host=x password=pw"`, `cannot parse "host=x password=********`},
		{"db_password=notaconnstring", "db_password=notaconnstring"},
		{"password=", "password="},
		{"no secrets here", "no secrets here"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n got  %q\n want %q", c.in, got, c.want)
		}
	}
}
