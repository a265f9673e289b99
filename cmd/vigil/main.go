// Command vigil runs Elastic Security detection rules over logs, in batch and
// streaming, without Elasticsearch or Kibana. See `vigil help`.
package main

import (
	"os"

	"github.com/vigil-project/vigil/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.StdEnv()))
}
