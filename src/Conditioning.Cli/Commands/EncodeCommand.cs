using System.CommandLine;
using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Spectre.Console;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning encode</c>: a weighted prompt in, the model family's conditioning tensors out (.safetensors or .npy).</summary>
internal static class EncodeCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Option<DirectoryInfo>("--model", "-m") { Description = "A diffusers ONNX model folder (model_index.json, text_encoder/, tokenizer/, …).", Required = true };
        var dialect = new Option<string>("--dialect", "-d") { Description = "Prompt dialect: a1111, compel or comfy.", DefaultValueFactory = _ => "a1111" };
        dialect.AcceptOnlyFromAmong("a1111", "compel", "comfy");
        var negative = new Option<string?>("--negative", "-n") { Description = "Negative prompt." };
        var steps = new Option<int>("--steps") { Description = "Sampling steps A1111 prompt editing refers to.", DefaultValueFactory = _ => 20 };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the tensors to this .safetensors file, or to <name>.<tensor>.npy files for a .npy path." };
        var prompt = new Argument<string>("prompt") { Description = "The prompt." };
        var command = new Command("encode", "Encode a weighted prompt into the tensors the model family expects (prompt_embeds, pooled_prompt_embeds, add_time_ids, txt_ids, negatives) and print their shapes.")
        {
            model, dialect, negative, steps, output, prompt,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using IPromptConditioner conditioner = PromptConditioner.FromFolder(parse.GetRequiredValue(model).FullName);
                var request = new ConditioningRequest
                {
                    Prompt = parse.GetRequiredValue(prompt),
                    NegativePrompt = parse.GetValue(negative),
                    Dialect = parse.GetValue(dialect) switch { "compel" => PromptDialect.Compel, "comfy" => PromptDialect.ComfyUI, _ => PromptDialect.A1111 },
                    Steps = parse.GetValue(steps),
                };
                DiffusionConditioning conditioning = await conditioner.EncodeAsync(request, cancellationToken);
                IReadOnlyList<(string Name, ModelTensor<float> Tensor)> tensors = ConditioningTensors.Flatten(conditioning);

                IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out) });
                var table = new Table().Title($"{conditioner.Family} conditioning").AddColumn("tensor").AddColumn("shape");
                foreach ((string name, ModelTensor<float> t) in tensors) table.AddRow(Markup.Escape(name), Markup.Escape(t.Shape.ToString()));
                console.Write(table);

                if (parse.GetValue(output) is { } file)
                {
                    if (file.Extension.Equals(".npy", StringComparison.OrdinalIgnoreCase))
                    {
                        string stem = Path.Combine(file.DirectoryName ?? ".", Path.GetFileNameWithoutExtension(file.Name));
                        foreach ((string name, ModelTensor<float> t) in tensors)
                        {
                            await using FileStream s = File.Create($"{stem}.{name}.npy");
                            TensorFileWriter.WriteNpy(s, t);
                        }

                        console.MarkupLine($"wrote {tensors.Count} .npy files next to [bold]{Markup.Escape(stem)}[/]");
                    }
                    else
                    {
                        await using FileStream s = File.Create(file.FullName);
                        TensorFileWriter.WriteSafetensors(s, tensors, new Dictionary<string, string>
                        {
                            ["family"] = conditioner.Family.ToString(),
                            ["prompt"] = request.Prompt,
                            ["dialect"] = request.Dialect.ToString(),
                        });
                        console.MarkupLine($"wrote [bold]{Markup.Escape(file.FullName)}[/]");
                    }
                }

                return 0;
            }
            catch (Exception e) when (e is ModelFolderException or ModelLoadException or ModelContractException or PromptSyntaxException or FileNotFoundException or Tokenizers.TokenizerLoadException)
            {
                await io.Error.WriteLineAsync($"error: {e.Message}");
                return CliApp.UserError;
            }
        });
        return command;
    }
}
