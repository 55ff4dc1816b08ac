// Command compose-go-config loads a Compose project the way `docker compose` does, with its
// loader (github.com/compose-spec/compose-go/v2: interpolation, the Compose specification's
// schema, profiles, depends_on checks), and prints the resolved project as JSON, or the error.
// test/ops/compose.real.test.ts runs it; scripts/setup-compose-tools.sh builds it.
//
//	compose-go-config COMPOSE_FILE PROFILE ENV_FILE
//
// Exit 0 loaded, 1 the project does not load (the loader's message on stderr), 2 bad usage.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: compose-go-config COMPOSE_FILE PROFILE ENV_FILE")
		os.Exit(2)
	}
	file, profile, envFile := os.Args[1], os.Args[2], os.Args[3]
	// Only the env file: the caller decides what else the environment holds.
	options, err := cli.NewProjectOptions([]string{file},
		cli.WithEnvFiles(envFile), cli.WithDotEnv, cli.WithProfiles([]string{profile}), cli.WithName("umca"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
