package terraform

import (
	"context"
	"sort"

	"github.com/assurehq/assure/internal/connector"
)

func stateType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "terraform.state",
		Description: "One Terraform state that was read: where from, which Terraform wrote it, and what it holds.",
		Fields: []connector.Field{
			{Name: "source", Type: "string", Description: "File path or URL (without credentials or query) the state was read from."},
			{Name: "format_version", Type: "int", Description: "State format version (4)."},
			{Name: "terraform_version", Type: "string", Description: "Version of Terraform that last wrote the state."},
			{Name: "serial", Type: "int", Description: "Serial: incremented on every write."},
			{Name: "lineage", Type: "string", Description: "Lineage: a UUID fixed when the state was first created."},
			{Name: "sha256", Type: "string", Description: "SHA-256 of the bytes read (the kept copy has sensitive values removed)."},
			{Name: "managed_resources", Type: "int", Description: "Managed resource instances in the state."},
			{Name: "data_sources", Type: "int", Description: "Data source instances (not collected)."},
			{Name: "tainted_resources", Type: "int", Description: "Instances marked tainted."},
			{Name: "deposed_objects", Type: "int", Description: "Deposed objects left by create_before_destroy (not collected)."},
			{Name: "resource_types", Type: "object", Description: "Managed resource type → number of instances."},
			{Name: "outputs", Type: "object", Description: "Root module outputs, name → value; sensitive outputs are null."},
			{Name: "sensitive_outputs", Type: "list", Description: "Names of the outputs marked sensitive."},
		},
		List: connector.As(listStates),
	}
}

func listStates(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	for _, s := range states {
		st := s.state
		types := map[string]any{}
		counts := map[string]int64{}
		tainted := int64(0)
		for _, in := range s.index.all {
			counts[in.typ]++
			if in.tainted {
				tainted++
			}
		}
		for t, n := range counts {
			types[t] = n
		}
		outputs := map[string]any{}
		sensitive := []string{}
		for name, o := range st.Outputs {
			if o.Sensitive {
				outputs[name] = nil
				sensitive = append(sensitive, name)
				continue
			}
			outputs[name] = o.Value
		}
		sort.Strings(sensitive)
		a := map[string]any{"source": s.name, "format_version": int64(st.Version), "terraform_version": st.TerraformVersion,
			"serial": int64(st.Serial), "lineage": st.Lineage, "sha256": s.sha256,
			"managed_resources": int64(len(s.index.all)), "data_sources": int64(s.index.dataSources),
			"tainted_resources": tainted, "deposed_objects": int64(s.index.deposed), "resource_types": types,
			"outputs": outputs, "sensitive_outputs": sensitive}
		err := out.Emit(ctx, connector.Resource{ExternalID: s.name, Name: s.name, Scope: s.name, Attributes: a,
			Calls: append([]connector.CallRef(nil), s.calls...)})
		if err != nil {
			return err
		}
	}
	return nil
}
