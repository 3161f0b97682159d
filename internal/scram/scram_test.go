package scram

import (
	"strings"
	"testing"
)

// Produced by PostgreSQL 15.x (SET password_encryption = 'scram-sha-256';
// CREATE ROLE ... PASSWORD '<password>'; SELECT rolpassword FROM pg_authid),
// so these pin this package to the server's own derivation, SASLprep included.
var postgresVerifiers = []struct {
	name, password, verifier string
}{
	{"ascii", "correct horse battery staple",
		"SCRAM-SHA-256$4096:eu0RgeAeNVAU2bIvfCJUow==$5EKW5klRsqTeZuqo1hUolSWWAuqPon6HzPQXS/LynwU=:kfBfVsrjDN4K7IE7Yh8kTtleUYj1tksIwymC4EmUliE="},
	{"quotes and backslash", `it's a "pass" \ word`,
		"SCRAM-SHA-256$4096:hapG5szrSrMfrRSMoZT0WA==$bJVoGYvc03ooOQKac+mMar7E43PJe2NwmTqNB3ik7fM=:nmtqESuSBBEm/WN6BF8EtpLQiAG5n42Oz7td6s1dmt8="},
	{"combining mark composed by NFKC", "pa\u0308ssword",
		"SCRAM-SHA-256$4096:tg/QAUvDnjZtDNE3eFdeCw==$tuZD9DYQoITRU78hmP0fq+Y0rq+MNftBru9PypoTr84=:Fo+v81gYPb1JOLut2+XWwyKVsWrVcec2MvaKwTJBLRc="},
	{"ligature, no-break space, soft hyphen", "\ufb01sh\u00a0and\u00adchips",
		"SCRAM-SHA-256$4096:vp5xW0gUfGTaljA0DQuIXw==$icK6G8GV9mUgTIsMz/nhLmuQVerxq1NsaM1BjwV/Gnk=:+lZcIylMDfnQO3UL4JB3NH1WDLEKbJ3AISZ8XH0mn1s="},
	{"prohibited control character: raw bytes", "\ufb01\u0080x",
		"SCRAM-SHA-256$4096:O44m+glPhDY3LuSueuDwvA==$pWyOdvUIfI/5GrlkkLgmwRtx9lluYumytf8uzCd2byA=:AJw7v8ctqkq7gFkm2S2L2c+YC1vqvF9D5rHH+047ccQ="},
	{"unassigned in Unicode 3.2: raw bytes", "\U0001F600\ufb01",
		"SCRAM-SHA-256$4096:L+9H5z3WCCCp8tul86BB9w==$Gqlo1D3Pyv7wFfZ3ezIYiOO/CoccxviQ9BZmGuE2DnM=:gsA5BrF60nHeQD9RntpUhS/83JcBPqCeeXcPk5OM9LM="},
	{"bidi violation: raw bytes", "\u05d0\ufb01\u05d1",
		"SCRAM-SHA-256$4096:lve1Vp0joGDqh22f/fG2ww==$A17M0FC80GuYAtKkubaSrVAcfSyLLJSudLIjAVJhQLM=:cmLXTk0zW/i2xp+g2+ntNlRNqmFZRhBjfWBWr92rCnI="},
	{"valid right-to-left", "\u05d0\u05d1\u00a0\u05d2",
		"SCRAM-SHA-256$4096:zw27j0Pio8h+4Lhirmh0GQ==$H1Uebc6nzS06iZaF1aPcNwfdqx3I7W39LNbwCVkdnmY=:bGbQ9yerdYEIz9BSN8joSdJNMYViFgxC9m26poZ7vl0="},
}

func TestVerifyAgainstPostgres(t *testing.T) {
	for _, c := range postgresVerifiers {
		t.Run(c.name, func(t *testing.T) {
			v, err := Parse(c.verifier)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !v.Verify(c.password) {
				t.Errorf("the password PostgreSQL hashed does not verify")
			}
			for _, wrong := range []string{c.password + "x", strings.ToUpper(c.password), ""} {
				if wrong != c.password && v.Verify(wrong) {
					t.Errorf("a different password %q verifies", wrong)
				}
			}
			if got := v.String(); got != c.verifier {
				t.Errorf("String() = %s, want the parsed text back", got)
			}
		})
	}
}

// Derive with PostgreSQL's salt must reproduce PostgreSQL's verifier byte
// for byte: that is what makes a client-side verifier a drop-in for
// ALTER ROLE ... PASSWORD.
func TestDeriveMatchesPostgres(t *testing.T) {
	for _, c := range postgresVerifiers {
		t.Run(c.name, func(t *testing.T) {
			pg, err := Parse(c.verifier)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Derive(c.password, pg.Salt, pg.Iterations)
			if err != nil {
				t.Fatal(err)
			}
			if v.String() != c.verifier {
				t.Errorf("Derive = %s\nwant      %s", v.String(), c.verifier)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"ascii untouched", "Tr0ub4dor&3 ~", "Tr0ub4dor&3 ~"},
		{"ascii control chars untouched", "a\x01b\x7f", "a\x01b\x7f"},
		{"NFKC composes", "pa\u0308ss", "p\u00e4ss"},
		{"ligature expanded", "\ufb01", "fi"},
		{"no-break space mapped to space", "a\u00a0b\u3000c", "a b c"},
		{"soft hyphen and zero-width joiner removed", "a\u00adb\u200dc", "abc"},
		{"prohibited keeps raw", "\ufb01\u0080", "\ufb01\u0080"},
		{"private use keeps raw", "\ufb01\ue000", "\ufb01\ue000"},
		{"unassigned in 3.2 keeps raw", "\U0001F600\ufb01", "\U0001F600\ufb01"},
		{"mixed bidi keeps raw", "\u05d0a\u05d1\ufb01", "\u05d0a\u05d1\ufb01"},
		{"rtl must end rtl", "\u05d0\u05d11\u00a0", "\u05d0\u05d11\u00a0"},
		{"valid rtl normalized", "\u05d0\u00a0\u05d1", "\u05d0 \u05d1"},
		{"invalid utf-8 keeps raw", "\xff\ufb01", "\xff\ufb01"},
	}
	for _, c := range cases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("%s: Normalize(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestNewUsesFreshSalt(t *testing.T) {
	a, err := New("s3cret-pw", DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New("s3cret-pw", DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() == b.String() || string(a.Salt) == string(b.Salt) {
		t.Fatal("two verifiers for the same password share a salt")
	}
	if len(a.Salt) != saltLen {
		t.Errorf("salt is %d bytes, want %d", len(a.Salt), saltLen)
	}
	parsed, err := Parse(a.String())
	if err != nil {
		t.Fatalf("Parse(String()): %v", err)
	}
	if !parsed.Verify("s3cret-pw") || parsed.Verify("s3cret-pX") {
		t.Error("a round-tripped verifier does not check passwords correctly")
	}
	if strings.Contains(a.String(), "s3cret-pw") {
		t.Error("the verifier contains the password")
	}
}

func TestParseRejects(t *testing.T) {
	good := postgresVerifiers[0].verifier
	bad := map[string]string{
		"empty":              "",
		"md5":                "md5" + strings.Repeat("a", 32),
		"other mechanism":    strings.Replace(good, "SCRAM-SHA-256", "SCRAM-SHA-1", 1),
		"no keys":            "SCRAM-SHA-256$4096:eu0RgeAeNVAU2bIvfCJUow==",
		"no salt separator":  "SCRAM-SHA-256$4096$a:b",
		"zero iterations":    strings.Replace(good, "$4096:", "$0:", 1),
		"huge iterations":    strings.Replace(good, "$4096:", "$2147483647:", 1),
		"non-numeric count":  strings.Replace(good, "$4096:", "$many:", 1),
		"bad base64 salt":    strings.Replace(good, "eu0RgeAeNVAU2bIvfCJUow==", "!!!", 1),
		"short StoredKey":    strings.Replace(good, "5EKW5klRsqTeZuqo1hUolSWWAuqPon6HzPQXS/LynwU=", "AAAA", 1),
		"missing ServerKey":  good[:strings.LastIndex(good, ":")],
		"empty salt":         strings.Replace(good, "eu0RgeAeNVAU2bIvfCJUow==", "", 1),
		"trailing key parts": good + ":extra",
	}
	for name, s := range bad {
		_, err := Parse(s)
		if err == nil {
			t.Errorf("%s: Parse accepted it", name)
			continue
		}
		if len(s) > 20 && strings.Contains(err.Error(), s[len(s)-20:]) {
			t.Errorf("%s: the error echoes the verifier: %v", name, err)
		}
	}
}

func TestDeriveRejectsBadParameters(t *testing.T) {
	if _, err := Derive("pw", []byte("salt"), 0); err == nil {
		t.Error("0 iterations accepted")
	}
	if _, err := Derive("pw", []byte("salt"), MaxIterations+1); err == nil {
		t.Error("too many iterations accepted")
	}
	if _, err := Derive("pw", nil, DefaultIterations); err == nil {
		t.Error("empty salt accepted")
	}
	if (Verifier{}).Verify("") {
		t.Error("the zero Verifier verifies a password")
	}
}
