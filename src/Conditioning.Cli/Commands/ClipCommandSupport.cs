using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conditioning.Onnx;
using Conditioning.Scoring;
using Conditioning.Tokenizers;

namespace Conditioning.Cli.Commands;

/// <summary>What the CLIP commands (score, rerank, classify, interrogate, index, search) share: the model options, loading, and error reporting.</summary>
internal static class ClipCommandSupport
{
    public static Option<DirectoryInfo> ModelOption() => new("--model", "-m")
    {
        Description = "CLIP folder: text_model.onnx, vision_model.onnx, tokenizer/, preprocessor_config.json (e.g. models/tiny-clip).",
        Required = true,
    };

    public static Option<string> ProviderOption()
    {
        var provider = new Option<string>("--provider") { Description = "Execution provider: cpu (default) or cuda.", DefaultValueFactory = _ => "cpu" };
        provider.AcceptOnlyFromAmong("cpu", "cuda");
        return provider;
    }

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of text." };

    public static Argument<string[]> ImagesArgument() => new("images") { Description = "Image files.", Arity = ArgumentArity.OneOrMore };

    public static ClipModel Load(ParseResult parse, Option<DirectoryInfo> model, Option<string> provider) =>
        ClipModel.FromFolder(
            parse.GetRequiredValue(model).FullName,
            parse.GetValue(provider) == "cuda" ? OnnxModelOptions.Cuda(0) : OnnxModelOptions.Cpu());

    /// <summary>Runs <paramref name="body"/>, turning the library's typed errors into "error: …" and exit code 1.</summary>
    public static async Task<int> RunAsync(CliIO io, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or ModelLoadException or ModelContractException
            or TokenizerLoadException or InvalidDataException or ImageLoadException or ExecutionProviderUnavailableException or ArgumentException)
        {
            await io.Error.WriteLineAsync($"error: {e.Message}");
            return CliApp.UserError;
        }
    }

    public static string Number(float value) => value.ToString("F4", CultureInfo.InvariantCulture);

    public static Task WriteJsonAsync(CliIO io, object value) =>
        io.Out.WriteLineAsync(JsonSerializer.Serialize(value, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
}
