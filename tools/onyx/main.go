// Command onyx runs, inspects and tests ONNX models with onyx. Run
// "onyx help" for its commands; the implementation is package cli.
package main

import (
	"os"

	"github.com/onyxgo/onyx/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
