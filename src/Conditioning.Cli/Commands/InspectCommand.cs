using System.CommandLine;
using Conditioning.Onnx;
using Microsoft.ML.OnnxRuntime;
using Spectre.Console;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning inspect</c>: what an ONNX model declares, and which execution providers this build offers.</summary>
internal static class InspectCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Argument<FileInfo>("model") { Description = "An .onnx file (external weights beside it are found automatically)." };
        var provider = new Option<string>("--provider")
        {
            Description = "Execution provider to open the model with: cpu (default) or cuda.",
            DefaultValueFactory = _ => "cpu",
        };
        provider.AcceptOnlyFromAmong("cpu", "cuda");
        var device = new Option<int>("--device") { Description = "CUDA device id.", DefaultValueFactory = _ => 0 };

        var command = new Command("inspect", "Show an ONNX model's inputs and outputs (names, element types, shapes) and the execution providers available.")
        {
            model, provider, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            OnnxModelOptions options = parse.GetValue(provider) == "cuda" ? OnnxModelOptions.Cuda(parse.GetValue(device)) : OnnxModelOptions.Cpu();
            try
            {
                using OnnxModel onnx = await OnnxModel.LoadAsync(parse.GetRequiredValue(model).FullName, options, cancellationToken: cancellationToken);
                IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out) });
                console.MarkupLine($"[bold]{Markup.Escape(onnx.Metadata.ModelPath)}[/] on {onnx.ExecutionProvider}");
                var table = new Table().AddColumn("").AddColumn("name").AddColumn("type and shape");
                foreach (OnnxTensorInfo input in onnx.Metadata.Inputs) table.AddRow("input", Markup.Escape(input.Name), Markup.Escape(input.TypeAndShape));
                foreach (OnnxTensorInfo output in onnx.Metadata.Outputs) table.AddRow("output", Markup.Escape(output.Name), Markup.Escape(output.TypeAndShape));
                console.Write(table);
                console.MarkupLine($"available execution providers: {Markup.Escape(string.Join(", ", OrtEnv.Instance().GetAvailableProviders()))}");
                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or ModelLoadException or ExecutionProviderUnavailableException)
            {
                await io.Error.WriteLineAsync($"error: {e.Message}");
                return CliApp.UserError;
            }
        });
        return command;
    }
}
