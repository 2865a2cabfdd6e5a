package results

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// jrtHeader is the stock JMeter 5.6 header (17 columns).
const jrtHeader = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"

// jrtRead reads every row of a JTL.
func jrtRead(t *testing.T, in []byte, loc *time.Location) ([]Row, *JTLReader, error) {
	t.Helper()
	r, err := NewJTLReader(bytes.NewReader(in), "test.jtl")
	if err != nil {
		return nil, nil, err
	}
	r.Location = loc
	var rows []Row
	for {
		var row Row
		err := r.Next(&row)
		if err == io.EOF {
			return rows, r, nil
		}
		if err != nil {
			return rows, r, err
		}
		rows = append(rows, row)
	}
}

func jrtGzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jrtQuoted is a stock-header JTL whose first row has a label with a
// comma, quotes and a line break, and a URL with a comma.
const jrtQuoted = jrtHeader +
	`1700000000000,100,"Search, ""advanced""` + "\n" + `next line",200,OK,Thread Group 1-1,text,true,,345,314,1,2,"http://h/x?a=1,2",90,0,10` + "\n" +
	"1700000000100,5,Home Page,200,OK,Thread Group 1-2,text,true,,1,2,3,4,null,5,6,7\n"

var jrtQuotedRows = []Row{
	{Line: 2, TimeStamp: 1700000000000, Elapsed: 100, Label: "Search, \"advanced\"\nnext line", ResponseCode: "200",
		ResponseMessage: "OK", ThreadName: "Thread Group 1-1", DataType: "text", Success: true, Bytes: 345, SentBytes: 314,
		GrpThreads: 1, AllThreads: 2, URL: "http://h/x?a=1,2", Latency: 90, Connect: 10},
	{Line: 4, TimeStamp: 1700000000100, Elapsed: 5, Label: "Home Page", ResponseCode: "200", ResponseMessage: "OK",
		ThreadName: "Thread Group 1-2", DataType: "text", Success: true, Bytes: 1, SentBytes: 2, GrpThreads: 3,
		AllThreads: 4, URL: "null", Latency: 5, IdleTime: 6, Connect: 7},
}

func TestJTLReader_Rows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    []byte
		loc   *time.Location
		want  []Row
		skips []Skip
	}{
		{
			name: "quoted label with comma, quotes and newline",
			in:   []byte(jrtQuoted),
			want: jrtQuotedRows,
		},
		{
			name: "gzip input",
			in:   jrtGzip(t, []byte(jrtQuoted)),
			want: jrtQuotedRows,
		},
		{
			name: "JMeter 3.x columns: no sentBytes, IdleTime, Connect",
			in: []byte("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,grpThreads,allThreads,URL,Latency\n" +
				"1500000000000,250,Login,200,OK,TG 1-1,text,true,,1024,5,6,http://x/login,200\n"),
			want: []Row{{Line: 2, TimeStamp: 1500000000000, Elapsed: 250, Label: "Login", ResponseCode: "200", ResponseMessage: "OK",
				ThreadName: "TG 1-1", DataType: "text", Success: true, Bytes: 1024, GrpThreads: 5, AllThreads: 6,
				URL: "http://x/login", Latency: 200}},
		},
		{
			name: "mandatory columns only, another order, sample variable ignored",
			in:   []byte(`label,success,elapsed,timeStamp,"myVar"` + "\nL,FALSE,7,1,v\nM,True,8,2,w\n"),
			want: []Row{
				{Line: 2, TimeStamp: 1, Elapsed: 7, Label: "L"},
				{Line: 3, TimeStamp: 2, Elapsed: 8, Label: "M", Success: true},
			},
		},
		{
			name: "CRLF line endings; a quoted CRLF is kept",
			in:   []byte("timeStamp,elapsed,label,success\r\n1,2,\"a\r\nb\",true\r\n3,4,c,false\r\n"),
			want: []Row{
				{Line: 2, TimeStamp: 1, Elapsed: 2, Label: "a\r\nb", Success: true},
				{Line: 4, TimeStamp: 3, Elapsed: 4, Label: "c"},
			},
		},
		{
			name: "tab delimiter, byte order mark, blank lines",
			in:   []byte("\xef\xbb\xbftimeStamp\telapsed\tlabel\tsuccess\tresponseCode\n\n1\t2\ta,b\ttrue\t200\n\n"),
			want: []Row{{Line: 3, TimeStamp: 1, Elapsed: 2, Label: "a,b", Success: true, ResponseCode: "200"}},
		},
		{
			name: "yyyy/MM/dd HH:mm:ss.SSS timestamps",
			in:   []byte("timeStamp,elapsed,label,success\n2023/11/14 22:13:20.123,1,a,true\n2023/11/14 22:13:20,1,b,true\n"),
			loc:  time.UTC,
			want: []Row{
				{Line: 2, TimeStamp: 1700000000123, Elapsed: 1, Label: "a", Success: true},
				{Line: 3, TimeStamp: 1700000000000, Elapsed: 1, Label: "b", Success: true},
			},
		},
		{
			name: "transactions and sub-results",
			in: []byte("timeStamp,elapsed,label,responseMessage,threadName,success\n" +
				"1,10,Home,OK,t1,true\n" +
				"2,3,Home-0,OK,t1,true\n" + // sub-result of Home
				"3,3,Home-0-0,OK,t1,true\n" + // nested sub-result
				"4,3,Home-1,OK,t1,true\n" + // still Home's
				"5,3,Home-2,OK,t2,true\n" + // another thread: a sampler of its own
				"6,3,Home-2-x,OK,t2,true\n" + // not "-<digits>"
				`7,20,Flow,"Number of samples in transaction : 2, number of failing samples : 0",t1,true` + "\n" +
				"8,1,Flow-0,OK,t1,true\n"),
			want: []Row{
				{Line: 2, TimeStamp: 1, Elapsed: 10, Label: "Home", ResponseMessage: "OK", ThreadName: "t1", Success: true},
				{Line: 3, TimeStamp: 2, Elapsed: 3, Label: "Home-0", ResponseMessage: "OK", ThreadName: "t1", Success: true, SubResult: true},
				{Line: 4, TimeStamp: 3, Elapsed: 3, Label: "Home-0-0", ResponseMessage: "OK", ThreadName: "t1", Success: true, SubResult: true},
				{Line: 5, TimeStamp: 4, Elapsed: 3, Label: "Home-1", ResponseMessage: "OK", ThreadName: "t1", Success: true, SubResult: true},
				{Line: 6, TimeStamp: 5, Elapsed: 3, Label: "Home-2", ResponseMessage: "OK", ThreadName: "t2", Success: true},
				{Line: 7, TimeStamp: 6, Elapsed: 3, Label: "Home-2-x", ResponseMessage: "OK", ThreadName: "t2", Success: true},
				{Line: 8, TimeStamp: 7, Elapsed: 20, Label: "Flow", ResponseMessage: "Number of samples in transaction : 2, number of failing samples : 0",
					ThreadName: "t1", Success: true, Transaction: true},
				{Line: 9, TimeStamp: 8, Elapsed: 1, Label: "Flow-0", ResponseMessage: "OK", ThreadName: "t1", Success: true, SubResult: true},
			},
		},
		{
			name: "garbage and truncated lines are skipped",
			in: []byte("timeStamp,elapsed,label,success,bytes\n" +
				"1,2,ok1,true,10\n" +
				"garbage\n" + // line 3
				"1,abc,x,true,1\n" + // line 4
				"1,2,a\"b,true,1\n" + // line 5
				"1,2,\"a\"x,true,1\n" + // line 6
				"1,2,x,maybe,1\n" + // line 7
				"1,2,x,true,1e3\n" + // line 8
				",2,x,true,1\n" + // line 9
				"1,2,x,true,1,extra\n" + // line 10
				"3,4,ok2,false,\n" + // line 11: empty optional number is 0
				"5,6,trunc"), // line 12, no newline
			want: []Row{
				{Line: 2, TimeStamp: 1, Elapsed: 2, Label: "ok1", Success: true, Bytes: 10},
				{Line: 11, TimeStamp: 3, Elapsed: 4, Label: "ok2"},
			},
			skips: []Skip{
				{3, "1 columns, header has 5"},
				{4, `elapsed "abc" is not valid`},
				{5, "quote inside an unquoted field"},
				{6, `'x' after a closing quote`},
				{7, `success "maybe" is not valid`},
				{8, `bytes "1e3" is not valid`},
				{9, `timeStamp "" is not valid`},
				{10, "6 columns, header has 5"},
				{12, "truncated last line: 3 columns, header has 5"},
			},
		},
		{
			name: "an unterminated quote: the lines after it are read again",
			in: []byte("timeStamp,elapsed,label,success\n" +
				"1,2,a,true\n" +
				"1,2,\"broken,true\n" +
				"3,4,b,true\n" +
				"5,6,c,false\n"),
			want: []Row{
				{Line: 2, TimeStamp: 1, Elapsed: 2, Label: "a", Success: true},
				{Line: 4, TimeStamp: 3, Elapsed: 4, Label: "b", Success: true},
				{Line: 5, TimeStamp: 5, Elapsed: 6, Label: "c"},
			},
			skips: []Skip{{3, "unterminated quoted field at the end of the input (truncated last line?)"}},
		},
		{
			name: "header only",
			in:   []byte(jrtHeader),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, r, err := jrtRead(t, tt.in, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.want) {
				t.Fatalf("got %d rows, want %d:\ngot  %+v\nwant %+v", len(rows), len(tt.want), rows, tt.want)
			}
			for i := range rows {
				if rows[i] != tt.want[i] {
					t.Errorf("row %d:\ngot  %+v\nwant %+v", i, rows[i], tt.want[i])
				}
			}
			if got := r.Skipped(); got != int64(len(tt.skips)) {
				t.Errorf("Skipped() = %d, want %d (%+v)", got, len(tt.skips), r.SkippedExamples())
			}
			ex := r.SkippedExamples()
			for i := range min(len(ex), len(tt.skips)) {
				if ex[i] != tt.skips[i] {
					t.Errorf("skip %d = %+v, want %+v", i, ex[i], tt.skips[i])
				}
			}
		})
	}
}

func TestJTLReader_HeaderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "test.jtl: empty file (no JTL header)"},
		{"blank lines only", "\n\r\n", "test.jtl: empty file (no JTL header)"},
		{"headerless", "1700000000000,100,Home,200,OK,TG 1-1,text,true,,1,2,3,4,null,5,6,7\n",
			"test.jtl: no JTL header (expected timeStamp,elapsed,label,…"},
		{"not a JTL", "hello,world\n", "test.jtl: no JTL header (expected timeStamp,elapsed,label,…"},
		{"no success column", "timeStamp,elapsed,label\n1,2,x\n", "test.jtl: JTL header lacks the success column(s)"},
		{"bad gzip", "\x1f\x8b\x00garbage", "test.jtl: gzip:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewJTLReader(strings.NewReader(tt.in), "test.jtl")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("NewJTLReader error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestJTLReader_TruncatedGzipIsAnError(t *testing.T) {
	t.Parallel()
	z := jrtGzip(t, []byte(jrtQuoted))
	_, _, err := jrtRead(t, z[:len(z)-10], nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading a truncated gzip stream: error %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestJTLReader_SkippedExamplesCapped(t *testing.T) {
	t.Parallel()
	in := "timeStamp,elapsed,label,success\n" + strings.Repeat("x\n", 12) + "1,2,a,true\n"
	rows, r, err := jrtRead(t, []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Line != 14 {
		t.Errorf("rows = %+v, want one at line 14", rows)
	}
	if r.Skipped() != 12 || len(r.SkippedExamples()) != 10 {
		t.Errorf("Skipped() = %d with %d examples, want 12 with 10", r.Skipped(), len(r.SkippedExamples()))
	}
	if ex := r.SkippedExamples(); ex[9].Line != 11 {
		t.Errorf("tenth example at line %d, want 11", ex[9].Line)
	}
}

func TestJTLReader_LongQuotedFieldResyncs(t *testing.T) {
	t.Parallel()
	// An opening quote that never closes, followed by more than
	// jrMaxRecord bytes of good rows: the record is given up once it is
	// too long and the rows after its first line are read again.
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,success\n1,1,\"open,true\n")
	row := "2,3," + strings.Repeat("x", 1000) + ",true\n"
	n := jrMaxRecord/len(row) + 100
	for range n {
		b.WriteString(row)
	}
	rows, r, err := jrtRead(t, []byte(b.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || rows[0].Line != 3 || rows[n-1].Line != int64(n+2) {
		t.Fatalf("got %d rows (first at line %d), want %d from line 3", len(rows), rows[0].Line, n)
	}
	if r.Skipped() != 1 || r.SkippedExamples()[0].Line != 2 {
		t.Errorf("skips = %+v, want one at line 2", r.SkippedExamples())
	}
}

func TestJTLReader_RowStringsSurviveLaterReads(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(jrtHeader)
	for i := range 5000 {
		b.WriteString("1,2,L,200,OK,t,text,false,failure number " + strings.Repeat("z", i%50) + ",1,1,1,1,http://h/" + string(rune('a'+i%26)) + ",1,0,0\n")
	}
	r, err := NewJTLReader(strings.NewReader(b.String()), "x")
	if err != nil {
		t.Fatal(err)
	}
	var first Row
	if err := r.Next(&first); err != nil {
		t.Fatal(err)
	}
	keep := first
	var row Row
	for r.Next(&row) == nil {
	}
	if keep.URL != "http://h/a" || keep.FailureMessage != "failure number " {
		t.Errorf("first row's strings changed: %q %q", keep.URL, keep.FailureMessage)
	}
}

// FuzzJTLReader checks that the reader never panics, that a valid row put
// before arbitrary bytes is read back exactly, and that every row read from
// a plain (quote-free) line has the mandatory fields of that line.
func FuzzJTLReader(f *testing.F) {
	for _, s := range []string{
		"", "garbage\n", "1,2,a,true\n", "\"", "1,2,\"a\nb\",true\n", "1,2,\"a\"\"b\",true\r\n",
		"1,2,a\"b,true\n", "2023/11/14 22:13:20.123,1,a,true\n", "1,2,a-0,true\n", "1,2,\"x",
		"3,4,\"Number of samples in transaction : 1\",false\n", "\r\r\n\n", "-5,+6,a,TRUE\n",
	} {
		f.Add(s)
	}
	const header = "timeStamp,elapsed,label,success\n"
	const first = "1700000000000,42,first,true\n"
	f.Fuzz(func(t *testing.T, data string) {
		in := header + first + data
		r, err := NewJTLReader(strings.NewReader(in), "fuzz.jtl")
		if err != nil {
			t.Fatal(err)
		}
		r.Location = time.UTC
		var row Row
		if err := r.Next(&row); err != nil {
			t.Fatal(err)
		}
		if want := (Row{Line: 2, TimeStamp: 1700000000000, Elapsed: 42, Label: "first", Success: true}); row != want {
			t.Fatalf("first row = %+v, want %+v", row, want)
		}
		lines := strings.Split(in, "\n")
		prev, n := int64(2), int64(1)
		for {
			err := r.Next(&row)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if row.Line <= prev || row.Line > int64(len(lines)) {
				t.Fatalf("row line %d after line %d (input has %d lines)", row.Line, prev, len(lines))
			}
			prev = row.Line
			line := lines[row.Line-1]
			if strings.ContainsAny(line, "\"\r") {
				continue
			}
			fs := strings.Split(line, ",")
			if len(fs) != 4 {
				t.Fatalf("line %d %q read as a row: %+v", row.Line, line, row)
			}
			ts, ok := jrParseInt([]byte(fs[0]))
			if !ok {
				ts, ok = jrParseDate([]byte(fs[0]), time.UTC)
			}
			el, ok2 := jrParseInt([]byte(fs[1]))
			success := strings.EqualFold(fs[3], "true")
			valid := success || strings.EqualFold(fs[3], "false")
			if !ok || !ok2 || !valid || ts != row.TimeStamp || el != row.Elapsed || fs[2] != row.Label || success != row.Success {
				t.Fatalf("line %d %q read as %+v", row.Line, line, row)
			}
		}
		if n+r.Skipped() > int64(len(lines)) {
			t.Fatalf("%d rows and %d skipped from %d lines", n, r.Skipped(), len(lines))
		}
	})
}

func BenchmarkJTLReader(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(jrtHeader)
	for i := range 10000 {
		if i%10 == 0 {
			sb.WriteString(`1700000000000,123,"Search, ""advanced""",200,OK,Scenario 1 1-7,text,true,,13330,512,200,200,http://127.0.0.1:8080/api/v1/search?q=1,62,0,0` + "\n")
		} else {
			sb.WriteString("1700000000000,83,logout,200,OK,Scenario 1 1-7,text,true,,13330,512,200,200,http://127.0.0.1:8080/api/v1/logout,62,0,0\n")
		}
	}
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var row Row
	for b.Loop() {
		r, err := NewJTLReader(bytes.NewReader(in), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for r.Next(&row) == nil {
		}
	}
}
