package cli

import (
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/preview"
	"github.com/platformc/platformc/internal/render"
)

type joinFlags struct {
	commonFlags
	context string
}

// joinCluster is what the --context template reads.
type joinCluster struct {
	Name         string
	Server       string
	Env          string
	ControlPlane string
	Labels       map[string]string
}

func newJoinCmd() *cobra.Command {
	var f joinFlags
	cmd := &cobra.Command{
		Use:   "join [PATTERN...] [--context TEMPLATE]",
		Short: "Print the argocd or sveltosctl commands that register the selected clusters",
		Long: `Join prints, for teams that register clusters with the argocd CLI rather
than by applying the Secrets build writes, one command per selected cluster:

  argocd cluster add CONTEXT --name CLUSTER --label KEY=VALUE ... --upsert

with the labels of the cluster's registration Secret, sorted (env, one
<bundle>=enabled per enabled bundle, the cluster's own labels), so that the
ApplicationSets select it exactly as they would the Secret. The commands are
grouped under a "# control plane NAME" comment: run each group logged in to
that control plane's ArgoCD (argocd login). Words are quoted for a POSIX
shell where needed.

For a control plane with engine "sveltos" (its comment says "(sveltos)"),
the command is sveltosctl's, with the labels and namespace of the
SveltosCluster build writes; run it with kubectl's current context on the
Sveltos management cluster:

  sveltosctl register cluster --namespace=NS --cluster=CLUSTER
      --fleet-cluster-context=CONTEXT --labels=KEY=VALUE,...

--context is the kubeconfig context of the cluster, a Go template over
.Name, .Server, .Env, .ControlPlane and .Labels (e.g. {{index .Labels "team"}});
it defaults to the cluster's name.

` + patternHelp + `

Exit status: 0 printed, 1 errors in the platform, 2 wrong command line
(a --context that does not parse or names a field that does not exist).`,
		Example: `  platformc join ./clusters/prod/... | sh                      # register the production clusters
  platformc join --context 'tkc-{{.Env}}-{{.Name}}'           # contexts named tkc-<env>-<cluster>`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJoin(cmd, args, &f)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.context, "context", "{{.Name}}", "kubeconfig context of each cluster, a Go template over .Name, .Server, .Env, .ControlPlane, .Labels")
	return cmd
}

func runJoin(cmd *cobra.Command, patterns []string, f *joinFlags) error {
	tmpl, err := template.New("context").Option("missingkey=error").Parse(f.context)
	if err != nil {
		return usageErr(fmt.Errorf("--context: %w", err))
	}
	c, err := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: patterns, Placeholders: true})
	if err != nil {
		return err
	}
	// The commands are made from the registration Secrets and the
	// SveltosClusters build writes, so they carry the very labels the
	// ApplicationSets and ClusterProfiles select on.
	cps, err := preview.Read(c.Files, c.Platform.Defaults.ArgoCD.Namespace)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "join: " + err.Error()}
	}
	scps, err := preview.ReadSveltos(c.Files)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "join: " + err.Error()}
	}
	context := func(cl joinCluster) (string, error) {
		var ctx strings.Builder
		if err := tmpl.Execute(&ctx, cl); err != nil {
			return "", usageErr(fmt.Errorf("--context: %w", err))
		}
		if ctx.Len() == 0 {
			return "", usageErr(fmt.Errorf("--context %q: empty for cluster %q", f.context, cl.Name))
		}
		return ctx.String(), nil
	}
	// Each control plane's clusters, with the command that registers each
	// with that control plane's engine.
	type member struct {
		cluster joinCluster
		command func(context string) string
	}
	type group struct {
		name, header string
		members      []member
	}
	var groups []group
	for _, cp := range cps {
		g := group{name: cp.Name, header: fmt.Sprintf("# control plane %s\n", cp.Name)}
		for _, cl := range cp.Clusters {
			g.members = append(g.members, member{
				cluster: joinCluster{Name: cl.Name, Server: cl.Server, Env: cl.Labels["env"], ControlPlane: cp.Name, Labels: cl.Labels},
				command: func(ctx string) string { return joinCommand(ctx, cl) },
			})
		}
		groups = append(groups, g)
	}
	servers := map[string]string{}
	for _, cl := range c.Platform.Clusters {
		servers[cl.Name] = cl.Server
	}
	for _, cp := range scps {
		g := group{name: cp.Name, header: fmt.Sprintf("# control plane %s (sveltos)\n", cp.Name)}
		for _, cl := range cp.Clusters {
			g.members = append(g.members, member{
				cluster: joinCluster{Name: cl.Name, Server: servers[cl.Name], Env: cl.Labels["env"], ControlPlane: cp.Name, Labels: cl.Labels},
				command: func(ctx string) string { return sveltosJoinCommand(ctx, cl) },
			})
		}
		groups = append(groups, g)
	}
	slices.SortStableFunc(groups, func(a, b group) int { return strings.Compare(a.name, b.name) })
	var out strings.Builder
	n := 0
	for _, g := range groups {
		if len(g.members) == 0 {
			continue
		}
		out.WriteString(g.header)
		for _, m := range g.members {
			ctx, err := context(m.cluster)
			if err != nil {
				return err
			}
			out.WriteString(m.command(ctx))
			n++
		}
	}
	if _, err := io.WriteString(cmd.OutOrStdout(), out.String()); err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "join: %d cluster%s\n", n, plural(n))
	}
	return nil
}

// sveltosJoinCommand is the sveltosctl register cluster command for one
// cluster of a Sveltos control plane: in the namespace of its
// SveltosCluster, with its labels sorted by key. sveltosctl makes the
// kubeconfig Secret from the context and writes the SveltosCluster.
func sveltosJoinCommand(context string, cl preview.SveltosCluster) string {
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(cl.Labels)) {
		labels = append(labels, k+"="+cl.Labels[k])
	}
	words := []string{"sveltosctl", "register", "cluster",
		shellQuote("--namespace=" + cl.Namespace), shellQuote("--cluster=" + cl.Name),
		shellQuote("--fleet-cluster-context=" + context)}
	if len(labels) > 0 {
		words = append(words, shellQuote("--labels="+strings.Join(labels, ",")))
	}
	return strings.Join(words, " ") + "\n"
}

// joinCommand is the argocd cluster add command for one cluster: its
// registration labels but ArgoCD's own secret-type label, which the CLI
// sets itself, sorted by key.
func joinCommand(context string, cl preview.Cluster) string {
	words := []string{"argocd", "cluster", "add", shellQuote(context), "--name", shellQuote(cl.Name)}
	for _, k := range slices.Sorted(maps.Keys(cl.Labels)) {
		if k == render.SecretTypeLabel {
			continue
		}
		words = append(words, "--label", shellQuote(k+"="+cl.Labels[k]))
	}
	words = append(words, "--upsert")
	return strings.Join(words, " ") + "\n"
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote makes s one word for a POSIX shell: as it is if it holds only
// characters no shell treats specially, else in single quotes (a single
// quote inside written as '\”).
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
