package labfile_test

import (
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// TestTrainerFields: the trainer section loads, is optional (a lab without
// it loads as before), and decoding stays strict inside it.
func TestTrainerFields(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       *labfile.Trainer
		wantErr    string
	}{
		{"absent", "", nil, ""},
		{"full", "trainer:\n  title: The socket moved\n  cause: |\n    2.8.0 listens elsewhere.\n  notes: Hint at dpkg.log.\n",
			&labfile.Trainer{Title: "The socket moved", Cause: "2.8.0 listens elsewhere.\n", Notes: "Hint at dpkg.log."}, ""},
		{"title only", "trainer: {title: The socket moved}\n", &labfile.Trainer{Title: "The socket moved"}, ""},
		{"unknown key", "trainer:\n  caus: typo\n", nil, ":5: trainer.caus: unknown field caus"},
		{"not a mapping", "trainer: the socket\n", nil, ":4: trainer: want a mapping"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := "name: shop\ntitle: 502 on every catalogue call\nvms: [{name: web}]\n" + tt.yaml
			lab, err := labfile.Parse("labs/shop/lab.yaml", []byte(data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (lab.Trainer == nil) != (tt.want == nil) || (lab.Trainer != nil && *lab.Trainer != *tt.want) {
				t.Errorf("Trainer = %+v, want %+v", lab.Trainer, tt.want)
			}
			if lab.Title != "502 on every catalogue call" {
				t.Errorf("Title = %q: the trainee's title must stay the top-level one", lab.Title)
			}
		})
	}
}

// TestCauseWordsInTitle: the trainee's title gives the cause away when it
// repeats at least two of the cause's key words (all of them when there
// is only one); function words and the names of the lab's services and
// VMs are not key words; endings are folded.
func TestCauseWordsInTitle(t *testing.T) {
	for _, tt := range []struct {
		name, title, trainer string
		want                 string // the words, comma-joined; empty for no warning
	}{
		{"no trainer section", "shop-api 2.8.0 moved its socket", "", ""},
		{"the old socket title", "shop-api 2.8.0 moved its socket: 502 on every catalogue call",
			"{title: shop-api 2.8.0 moved its socket}", "2.8.0,moved,socket"},
		{"a symptom", "502 on every catalogue call", "{title: shop-api 2.8.0 moved its socket}", ""},
		{"one shared word is not enough", "Every call to the socket fails", "{title: shop-api 2.8.0 moved its socket}", ""},
		{"endings folded", "The socket moves, nothing answers", "{title: shop-api 2.8.0 moved its socket}", "moved,socket"},
		{"the old puppet title", "A staging tweak in puppet caps the live edge at 64 connections",
			"{title: A staging hiera value in common.yaml caps nginx at 64 worker connections}", "staging,caps,64,connections"},
		{"services and VMs are not key words", "nginx on web is slow",
			"{title: nginx on web runs out of workers}", ""},
		{"function words are not key words", "It is all out of the blue",
			"{title: It was all out of the window}", ""},
		{"a one-word cause", "Disk full", "{title: Disk}", "disk"},
		{"the cause's first sentence without a title", "Certificate expired at midnight",
			"{cause: \"The TLS certificate expired. Nobody renewed it at midnight.\"}", "certificate,expired"},
		{"case folded", "SOCKET MOVED", "{title: The socket moved}", "socket,moved"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := "name: shop\ntitle: \"" + tt.title + "\"\nservices: [nginx, shop-api]\nvms: [{name: web}]\n"
			if tt.trainer != "" {
				data += "trainer: " + tt.trainer + "\n"
			}
			lab, err := labfile.Parse("labs/shop/lab.yaml", []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(lab.CauseWordsInTitle(), ","); got != tt.want {
				t.Errorf("CauseWordsInTitle = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWarnings: a title that gives the cause away is a warning at the
// title's line, not a problem: the lab loads.
func TestWarnings(t *testing.T) {
	data := "name: shop\n\ntitle: shop-api 2.8.0 moved its socket\nvms: [{name: web}]\ntrainer:\n  title: shop-api 2.8.0 moved its socket\n"
	lab, err := labfile.Parse("labs/shop/lab.yaml", []byte(data))
	if err != nil {
		t.Fatalf("a warning must not make the lab invalid: %v", err)
	}
	ws := lab.Warnings()
	want := `labs/shop/lab.yaml:3: title: warning: repeats the cause's words "shop-api", "2.8.0", "moved", "socket" (trainer.title)`
	if len(ws) != 1 || !strings.HasPrefix(ws[0].Error(), want) {
		t.Fatalf("Warnings = %v, want one starting %q", ws, want)
	}
	if good, _ := labfile.Load("testdata/valid-full.yaml"); len(good.Warnings()) != 0 {
		t.Errorf("valid-full warns: %v", good.Warnings())
	}
}

// TestLabsKeepTheCauseForTheTrainer: no lab under labs/ gives its cause
// away in the title it shows trainees, and every incident lab records
// its cause for the trainer.
func TestLabsKeepTheCauseForTheTrainer(t *testing.T) {
	found, err := labfile.List("../labs")
	if err != nil || len(found) == 0 {
		t.Fatalf("List: %d labs, %v", len(found), err)
	}
	for _, f := range found {
		if f.Err != nil {
			t.Errorf("%s: %v", f.Name, f.Err)
			continue
		}
		if ws := f.Lab.Warnings(); len(ws) > 0 {
			t.Errorf("%s: %v", f.Name, ws)
		}
		if f.Lab.Solution != nil && (f.Lab.Trainer == nil || f.Lab.Trainer.Title == "" || f.Lab.Trainer.Cause == "") {
			t.Errorf("%s has a fix but no trainer.title and trainer.cause", f.Name)
		}
	}
}
