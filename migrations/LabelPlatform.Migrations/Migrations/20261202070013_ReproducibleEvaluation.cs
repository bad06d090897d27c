using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class ReproducibleEvaluation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_EmbeddingModels_Name_Version",
                table: "EmbeddingModels");

            migrationBuilder.AddColumn<string>(
                name: "Machine",
                table: "JobRuns",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExecutionPath",
                table: "EmbeddingModels",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PathChoice",
                table: "EmbeddingModels",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "auto");

            migrationBuilder.AddColumn<int>(
                name: "VariantOfId",
                table: "EmbeddingModels",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "VariantProblem",
                table: "EmbeddingModels",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "DuplicateFiles",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    Origin = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    ClassId = table.Column<int>(type: "INTEGER", nullable: true),
                    JobRunId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DuplicateFiles", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DuplicateFiles_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_DuplicateFiles_ImageClasses_ClassId",
                        column: x => x.ClassId,
                        principalTable: "ImageClasses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_DuplicateFiles_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_EmbeddingModels_Name_Version_ExecutionPath",
                table: "EmbeddingModels",
                columns: new[] { "Name", "Version", "ExecutionPath" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_EmbeddingModels_VariantOfId",
                table: "EmbeddingModels",
                column: "VariantOfId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DuplicateFiles_ClassId",
                table: "DuplicateFiles",
                column: "ClassId");

            migrationBuilder.CreateIndex(
                name: "IX_DuplicateFiles_DatasetId_Origin",
                table: "DuplicateFiles",
                columns: new[] { "DatasetId", "Origin" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DuplicateFiles_ImageId",
                table: "DuplicateFiles",
                column: "ImageId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DuplicateFiles");

            migrationBuilder.DropIndex(
                name: "IX_EmbeddingModels_Name_Version_ExecutionPath",
                table: "EmbeddingModels");

            migrationBuilder.DropIndex(
                name: "IX_EmbeddingModels_VariantOfId",
                table: "EmbeddingModels");

            migrationBuilder.DropColumn(
                name: "Machine",
                table: "JobRuns");

            migrationBuilder.DropColumn(
                name: "ExecutionPath",
                table: "EmbeddingModels");

            migrationBuilder.DropColumn(
                name: "PathChoice",
                table: "EmbeddingModels");

            migrationBuilder.DropColumn(
                name: "VariantOfId",
                table: "EmbeddingModels");

            migrationBuilder.DropColumn(
                name: "VariantProblem",
                table: "EmbeddingModels");

            migrationBuilder.CreateIndex(
                name: "IX_EmbeddingModels_Name_Version",
                table: "EmbeddingModels",
                columns: new[] { "Name", "Version" },
                unique: true);
        }
    }
}
