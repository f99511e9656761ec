package connector

import "testing"

func TestRedactJSONFields(t *testing.T) {
	redact := RedactJSONFields("access_token", "id_token")
	cases := []struct{ in, want string }{
		{`{"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"}`,
			`{"access_token":"[redacted]","expires_in":3599,"token_type":"Bearer"}`},
		{"{\n  \"access_token\" : \"a\\\"b\\\\\",\n  \"id_token\": \"eyJ.x.y\"\n}",
			"{\n  \"access_token\" : \"[redacted]\",\n  \"id_token\": \"[redacted]\"\n}"},
		{`{"nested":{"access_token":"t"},"list":[{"id_token":"u"}]}`,
			`{"nested":{"access_token":"[redacted]"},"list":[{"id_token":"[redacted]"}]}`},
		// Other members, a similar name, and a value that is not a string stay.
		{`{"access_token_type":"x","token":"y","access_token":null}`, `{"access_token_type":"x","token":"y","access_token":null}`},
		{`not json`, `not json`},
	}
	for _, tc := range cases {
		if got := string(redact(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.in, got, tc.want)
		}
	}
}
