"""Corpus de regras de negócio e resumos regulatórios (conteúdo de demonstração).

Documentos fictícios, porém realistas, de uma distribuidora B2B de equipamentos
fotovoltaicos no Brasil ("Helio Solar Distribuidora"). Todo o texto está em
português do Brasil e é totalmente determinístico (sem rede, sem aleatoriedade).

Nomes públicos:

- ``RULES``: ``list[dict]`` com chaves ``slug``, ``title``, ``kind`` e ``body``.
  ``kind`` é um de ``"pricing"``, ``"warranty"``, ``"logistics"`` ou ``"regulatory"``.
- ``RULE_GOLDEN_QUERIES``: ``list[dict]`` com chaves ``query`` e ``slug``;
  perguntas naturais cuja resposta está claramente em um único documento.

Os resumos regulatórios são materiais de apoio comercial e não substituem a
leitura das normas e resoluções oficiais.
"""

from __future__ import annotations

import textwrap

RULES: list[dict] = []


def _add(slug: str, title: str, kind: str, body: str) -> None:
    RULES.append(
        {
            "slug": slug,
            "title": title,
            "kind": kind,
            "body": textwrap.dedent(body).strip(),
        }
    )


# ---------------------------------------------------------------------------
# Preços, condições comerciais e pagamento (kind = "pricing")
# ---------------------------------------------------------------------------

_add(
    "politica-comercial-tabelas-b1-b3",
    "Política comercial: tabelas de preço B1 (integrador/varejo) e B3 (revenda/atacado)",
    "pricing",
    """
    ## Objetivo

    Esta política define como a Helio Solar Distribuidora organiza os preços de venda para clientes
    empresariais. Trabalhamos com duas tabelas principais: a tabela B1, destinada a integradores,
    instaladores e lojas de varejo que compram para executar projetos ou vender ao consumidor final,
    e a tabela B3, destinada a revendas e atacadistas que compram em volume para redistribuir. O
    objetivo é dar previsibilidade ao cliente, premiar volume e recorrência e aplicar a mesma regra a
    todos os clientes de um mesmo perfil, sem negociações paralelas fora dos canais oficiais.

    ## Tabela B1 — integradores e varejo

    A tabela B1 é a tabela padrão de todo cadastro novo com CNPJ ativo. Enquadram-se nela:

    - empresas integradoras e instaladoras de sistemas fotovoltaicos, com CNAE compatível (por
      exemplo, 4321-5/00 — instalação e manutenção elétrica);
    - lojas de materiais elétricos e de construção que vendem kits ao consumidor final;
    - engenheiros e projetistas constituídos como pessoa jurídica que compram para obras próprias.

    Pessoas físicas também podem comprar, mas sempre pela tabela B1 e com pagamento antecipado (PIX,
    boleto à vista ou cartão de crédito). Os preços da B1 já incluem a estrutura de atendimento
    técnico: suporte de pré-venda, apoio no dimensionamento, emissão de lista de materiais,
    conferência de compatibilidade entre módulos e inversores e acompanhamento de processos de
    garantia junto aos fabricantes.

    ## Tabela B3 — revenda e atacado

    A tabela B3 é reservada a clientes que revendem os equipamentos a outros integradores ou
    lojistas. Para acessar a B3 é necessário:

    1. cadastro aprovado como revenda, com inscrição estadual ativa e regime de apuração de ICMS que
       permita o aproveitamento de créditos;
    2. histórico mínimo de três meses de compras na tabela B1 ou comprovação de faturamento no setor
       fotovoltaico;
    3. compromisso de volume mínimo de R$ 150.000,00 em compras por trimestre civil;
    4. análise de crédito aprovada, caso deseje faturamento a prazo.

    Na B3 os preços são, em média, de 6% a 9% inferiores aos da B1 para módulos e de 4% a 7%
    inferiores para inversores, variando conforme a família de produto e o fabricante. Em
    contrapartida, o suporte de dimensionamento é limitado a dúvidas de compatibilidade e o frete
    CIF sem custo exige um pedido mínimo maior, conforme a política de frete.

    ## Como o preço é formado

    O preço de tabela considera o custo de aquisição (em grande parte atrelado ao dólar, já que a
    maioria dos módulos e inversores é importada), os custos de importação e nacionalização, a
    armazenagem nos centros de distribuição, os impostos incidentes e a margem comercial. Por isso:

    - as tabelas são revisadas semanalmente, normalmente às segundas-feiras;
    - variações cambiais acima de 3% em uma mesma semana podem gerar revisão extraordinária;
    - o preço exibido no portal e nas cotações é sempre o preço para pagamento à vista; prazos mais
      longos podem ter acréscimo financeiro informado na própria cotação.

    Os impostos são destacados na nota fiscal conforme a legislação do estado de destino. Descontos
    progressivos por volume, validade de cotação e condições de pagamento são tratados em
    documentos próprios desta base de conhecimento.

    ## Migração entre tabelas

    A revisão de enquadramento acontece a cada trimestre. Uma revenda que não atingir o volume
    mínimo por dois trimestres consecutivos volta automaticamente para a tabela B1, com aviso prévio
    de 15 dias. Um integrador B1 que passar a comprar acima do volume mínimo pode solicitar a
    migração ao seu consultor comercial, que encaminha o pedido para aprovação da gerência. A
    migração não é retroativa: pedidos já faturados não são recalculados e cotações emitidas antes
    da mudança mantêm a tabela original até o fim de sua validade.

    ## Projetos especiais e usinas

    Projetos de minigeração, usinas de solo e compras programadas para vários meses podem receber
    preço de projeto, negociado caso a caso. Nesses casos pedimos o memorial descritivo ou a lista de
    materiais, a potência total em kWp, o cronograma de entregas e a forma de pagamento pretendida.
    O preço de projeto é vinculado ao CNPJ e à obra informados e não pode ser usado em outros pedidos.
    Entregas parceladas ao longo da obra são possíveis, com reserva de estoque mediante sinal.

    ## Preços promocionais e lotes de oportunidade

    Periodicamente oferecemos lotes de oportunidade — por exemplo, fim de linha de um modelo de
    módulo, embalagens reembaladas ou inversores de geração anterior. Essas ofertas:

    - valem enquanto durar o estoque e não podem ser reservadas sem pagamento;
    - não são cumulativas com descontos por volume nem com preço de projeto;
    - mantêm a garantia integral do fabricante, exceto quando informado expressamente na oferta
      (por exemplo, itens de mostruário ou com embalagem danificada).

    ## Preço sugerido de revenda

    A Helio pode divulgar um preço sugerido ao consumidor final como referência de mercado. Esse
    valor é apenas indicativo: cada revenda e cada integrador define livremente seus próprios preços
    de venda, e nenhuma condição comercial está vinculada à prática de um preço mínimo.

    ## Exceções e aprovações

    Condições fora desta política — como um preço especial para cobrir a proposta de um concorrente —
    precisam de aprovação formal da gerência comercial e ficam registradas na cotação com um número
    de aprovação. Vendedores e o assistente virtual Hélio não podem conceder descontos fora da
    tabela; quando o cliente solicita uma condição especial, o atendimento registra o pedido e um
    consultor retorna em até um dia útil.

    ## Perguntas frequentes

    **Posso ter os dois preços, B1 e B3, no mesmo CNPJ?** Não. Cada CNPJ está vinculado a uma única
    tabela por trimestre. Grupos econômicos com várias empresas podem ter enquadramentos diferentes
    para cada CNPJ.

    **Comprei como pessoa física e agora abri uma empresa. Perco o histórico?** O histórico pode ser
    vinculado ao novo CNPJ mediante solicitação ao consultor, desde que o titular seja o mesmo.

    **O preço B3 vale para kits montados?** Sim, mas kits montados sob medida têm acréscimo de
    montagem de 1,5% sobre a soma dos itens.
    """,
)

_add(
    "descontos-por-volume",
    "Descontos progressivos por volume de módulos e inversores",
    "pricing",
    """
    A Helio Solar concede descontos progressivos por quantidade sobre o preço da tabela vigente do
    cliente (B1 ou B3). O desconto é calculado por item do pedido, e não pela soma de itens
    diferentes, e aparece destacado na cotação.

    ## Módulos fotovoltaicos

    - A partir de 1 pallet fechado do mesmo modelo (normalmente 31 a 36 módulos, conforme o
      fabricante): 2% de desconto.
    - A partir de 5 pallets fechados do mesmo modelo: 3,5% de desconto.
    - Carreta ou contêiner completo (em geral de 620 a 720 módulos): desconto negociado pelo
      consultor, tipicamente entre 5% e 7%.

    Pallets fracionados não contam para a faixa de desconto, pois exigem reembalagem no centro de
    distribuição.

    ## Inversores

    - De 5 a 9 unidades do mesmo modelo: 2% de desconto.
    - A partir de 10 unidades do mesmo modelo: 3% de desconto.
    - Microinversores: desconto a partir de 20 unidades (2%) e de 50 unidades (4%).

    ## Regras gerais

    Os descontos por volume não são cumulativos com lotes de oportunidade nem com preço de projeto
    aprovado pela gerência. Pedidos desmembrados em várias notas fiscais para a mesma obra, dentro de
    um período de 30 dias, podem ser somados para fins de faixa, mediante solicitação ao consultor.
    """,
)

_add(
    "frete-gratis-e-pedido-minimo",
    "Pedido mínimo e frete sem custo por região",
    "pricing",
    """
    Para manter o custo logístico sob controle, aplicamos as seguintes regras de valor mínimo:

    - **Pedido mínimo:** R$ 1.500,00 por nota fiscal para clientes da tabela B1 e R$ 10.000,00 para
      clientes da tabela B3. Pedidos abaixo do mínimo podem ser retirados no centro de distribuição.
    - **Frete CIF sem custo (tabela B1):** pedidos a partir de R$ 25.000,00 com destino às regiões Sul
      e Sudeste e a partir de R$ 40.000,00 para Centro-Oeste e Nordeste.
    - **Frete CIF sem custo (tabela B3):** pedidos a partir de R$ 60.000,00 em qualquer região
      atendida por rodovia.
    - **Região Norte:** o frete é sempre cotado caso a caso, pois muitas rotas envolvem trecho fluvial
      ou transbordo.

    Abaixo desses valores, o frete é calculado pela tabela da transportadora parceira, considerando
    peso cubado, CEP de destino, valor da mercadoria (ad valorem) e taxas de entrega em área rural ou
    de difícil acesso. O valor do frete sempre aparece separado na cotação e compõe a base de
    cálculo dos impostos na nota fiscal. Entregas com agendamento, descarga com equipamento ou
    ajudantes não estão incluídas no frete sem custo.
    """,
)

_add(
    "impostos-icms-ipi-equipamentos-fotovoltaicos",
    "Tributação de módulos e inversores: ICMS, IPI, PIS/Cofins e DIFAL",
    "pricing",
    """
    ## Por que o imposto varia de um item para outro

    Módulos, inversores, estruturas e cabos têm classificações fiscais (NCM) diferentes, e cada NCM
    tem tratamento próprio de ICMS, IPI, PIS e Cofins. Além disso, o ICMS depende do estado de
    origem, do estado de destino e de o comprador ser ou não contribuinte do imposto. Por isso duas
    cotações com o mesmo valor de mercadoria podem ter valores finais diferentes. Este documento
    resume as regras aplicadas pela Helio Solar Distribuidora; a análise fiscal definitiva do seu
    caso deve ser feita pelo seu contador.

    ## Classificação fiscal (NCM) mais comum

    - **Módulos fotovoltaicos:** NCM 8541.43.00 (células fotovoltaicas montadas em módulos ou em
      painéis), classificação adotada a partir da atualização do Sistema Harmonizado de 2022.
    - **Inversores:** em geral NCM 8504.40.90 (conversores estáticos).
    - **Estruturas de fixação em alumínio:** em geral NCM 7610.90.00.
    - **Cabos solares:** em geral NCM 8544.49.00.
    - **Baterias de lítio:** em geral NCM 8507.60.00.

    A NCM correta de cada item aparece na cotação e na nota fiscal. Em caso de divergência com o
    cadastro do fabricante, prevalece a classificação validada pelo nosso departamento fiscal.

    ## ICMS

    O Convênio ICMS 101/97, do Confaz, concede isenção de ICMS nas operações com diversos
    equipamentos para aproveitamento de energia solar e eólica listados no próprio convênio, entre
    eles os módulos (geradores) fotovoltaicos. Na prática:

    - **módulos fotovoltaicos** saem, em regra, com isenção de ICMS, desde que a operação atenda às
      condições do convênio;
    - **inversores, estruturas, cabos, conectores e string boxes** não estão contemplados pelo
      convênio e são tributados normalmente pelo ICMS;
    - alguns estados concedem benefícios próprios adicionais (redução de base de cálculo ou
      isenção para inversores, por exemplo). Quando aplicáveis ao estado de destino, o benefício e
      o respectivo dispositivo legal são citados no campo de informações complementares da nota.

    Nas vendas interestaduais para contribuintes, a alíquota interestadual é de 12% ou 7%, conforme o
    par de estados de origem e destino (saídas do Sul e do Sudeste, exceto Espírito Santo, para
    Norte, Nordeste, Centro-Oeste e Espírito Santo usam 7%). Produtos importados sujeitos à
    Resolução do Senado nº 13/2012 têm alíquota interestadual de 4%.

    ## DIFAL para não contribuintes

    Quando o comprador não é contribuinte do ICMS (pessoa física, condomínio ou empresa sem
    inscrição estadual) e está em outro estado, aplica-se o diferencial de alíquotas (DIFAL),
    recolhido pela Helio para o estado de destino. O DIFAL corresponde à diferença entre a alíquota
    interna do destino e a alíquota interestadual e é incluído no valor total da nota. Itens isentos,
    como os módulos amparados pelo Convênio 101/97, não geram DIFAL.

    ## Substituição tributária

    Alguns estados incluem determinados materiais elétricos (cabos, disjuntores, conectores) no
    regime de substituição tributária. Nesses casos o ICMS-ST é calculado na nota e recolhido
    antecipadamente, e o comprador revendedor não se credita do imposto nas etapas seguintes.
    Módulos e inversores normalmente não estão sujeitos à ST, mas a regra é verificada a cada pedido.

    ## IPI

    O IPI segue a Tabela de Incidência do IPI (TIPI) vigente para cada NCM. Os módulos fotovoltaicos
    têm alíquota zero de IPI. Para inversores, estruturas, cabos e baterias aplica-se a alíquota
    vigente na TIPI para a respectiva NCM, destacada na nota fiscal. Para o comprador revendedor
    contribuinte do IPI, o imposto destacado pode gerar crédito; para integradores e consumidores
    finais, o IPI integra o custo do equipamento.

    ## PIS e Cofins

    PIS e Cofins incidem sobre a receita de venda da Helio e já estão embutidos no preço de tabela.
    Eles não são destacados como acréscimo na cotação. Empresas no regime não cumulativo podem ter
    direito a créditos na compra para revenda, conforme análise do seu contador.

    ## Reforma tributária (CBS e IBS)

    A Emenda Constitucional 132/2023 e a Lei Complementar 214/2025 criaram a CBS (federal) e o IBS
    (estadual e municipal), que substituirão gradualmente PIS, Cofins, IPI (em grande parte), ICMS e
    ISS. O ano de 2026 é de transição e teste: as notas fiscais passam a informar CBS e IBS com
    alíquotas reduzidas de teste, compensáveis com PIS e Cofins, sem aumento de carga para o
    comprador. A Helio acompanha as regulamentações e atualizará esta política sempre que houver
    mudança efetiva no valor final pago pelo cliente.

    ## Exemplo ilustrativo

    Um integrador de Goiânia (GO), contribuinte do ICMS, compra 36 módulos e um inversor de 10 kW com
    saída do CD de Jundiaí (SP). Os módulos saem com isenção de ICMS pelo Convênio 101/97 e alíquota
    zero de IPI. O inversor sai com ICMS interestadual de 7% (ou 4%, se importado e enquadrado na
    Resolução 13/2012) e IPI conforme TIPI. Se o mesmo pedido fosse feito por uma pessoa física de
    Goiânia, haveria também o DIFAL do inversor, recolhido pela Helio e incluído no total da nota.

    ## Onde conferir os impostos na nota fiscal

    Na nota fiscal eletrônica, cada item traz sua NCM, o CFOP da operação, a base de cálculo e o
    valor do ICMS, do ICMS-ST (quando houver) e do IPI. Benefícios fiscais, como a isenção do
    Convênio 101/97, são citados no campo de informações complementares, junto com o dispositivo
    legal. O DIFAL recolhido para o estado de destino também é informado nesse campo e na guia
    correspondente, que acompanha a mercadoria quando exigido pelo estado.

    ## Perguntas frequentes

    **Se eu revender os módulos, aproveito crédito de ICMS?** Como os módulos saem com isenção, não há
    ICMS destacado e, portanto, não há crédito a aproveitar. Na revenda, a operação seguinte também
    tende a ser isenta, desde que atendidas as condições do convênio.

    **Por que o inversor ficou mais caro para pessoa física de outro estado?** Por causa do DIFAL,
    que é devido ao estado de destino nas vendas interestaduais para não contribuintes.

    **A Helio emite nota com outra NCM a pedido do cliente?** Não. A classificação fiscal segue a
    natureza do produto e não pode ser alterada para reduzir impostos.

    ## Cuidados no cadastro

    Para que o imposto seja calculado corretamente, mantenha atualizados no cadastro: CNPJ ou CPF,
    inscrição estadual (ou a indicação de isento), regime tributário (Simples Nacional, lucro
    presumido ou lucro real) e endereço completo de entrega. Alterações de cadastro após o
    faturamento podem exigir cancelamento e reemissão da nota, o que atrasa a expedição.
    """,
)

_add(
    "validade-da-cotacao",
    "Validade de cotações e reserva de estoque",
    "pricing",
    """
    Como boa parte do custo dos equipamentos fotovoltaicos acompanha o dólar, as cotações da Helio
    Solar têm validade curta:

    - **Módulos, inversores e demais itens avulsos:** 5 dias úteis a partir da emissão.
    - **Kits geradores montados:** 3 dias úteis, pois combinam itens de vários fabricantes.
    - **Preço de projeto aprovado pela gerência:** validade informada na própria aprovação, em geral
      de 15 a 30 dias.

    A cotação não reserva estoque. A reserva acontece somente após o aceite formal da cotação e fica
    garantida por 48 horas para pagamento à vista (PIX, boleto ou cartão). Para clientes com crédito
    aprovado, a reserva vale até o faturamento do pedido.

    Vencida a validade, a cotação pode ser reemitida com os preços da tabela do dia, que podem ser
    maiores ou menores. O preço fica travado definitivamente quando o pagamento é confirmado ou,
    no faturamento a prazo, quando o pedido é aprovado pelo setor de crédito. Alterações de
    quantidade ou de modelo depois do aceite geram nova cotação.
    """,
)

_add(
    "pagamento-boleto-bancario",
    "Pagamento por boleto bancário: vencimento, compensação e segunda via",
    "pricing",
    """
    O boleto bancário é a forma de pagamento mais usada pelos nossos clientes empresariais.

    **Boleto à vista.** Emitido com vencimento em até 3 dias úteis após o aceite da cotação. O pedido é
    liberado para separação somente após a compensação bancária, que leva de 1 a 2 dias úteis após o
    pagamento. Pagamentos feitos após as 17h ou em fins de semana são considerados no dia útil
    seguinte. O boleto à vista tem 3% de desconto sobre o preço de tabela, o mesmo desconto do PIX.

    **Boleto parcelado.** Disponível apenas para clientes com crédito aprovado, em prazos como
    28/56/84 dias a partir do faturamento. Os boletos são enviados por e-mail junto com o XML da nota
    fiscal.

    **Segunda via.** Boletos vencidos ou extraviados podem ser reemitidos pelo portal do cliente, na
    área "Financeiro", ou solicitados ao atendimento informando o número do pedido. Boletos vencidos
    há mais de 5 dias úteis, no caso de venda à vista, exigem nova cotação, pois a reserva de estoque
    já terá expirado.

    **Segurança.** Confira sempre se o beneficiário do boleto é a Helio Solar Distribuidora e se o
    CNPJ do beneficiário confere com o da nota fiscal. Nunca enviamos boletos por números de WhatsApp
    que não sejam os canais oficiais.
    """,
)

_add(
    "pagamento-cartao-de-credito",
    "Pagamento com cartão de crédito e parcelamento",
    "pricing",
    """
    Aceitamos as principais bandeiras de cartão de crédito (Visa, Mastercard, Elo, American Express
    e Hipercard) por link de pagamento enviado pelo atendimento ou diretamente no portal.

    - **Até 3x sem juros** sobre o preço de tabela.
    - **De 4x a 12x** com acréscimo correspondente à taxa da adquirente, informado antes da
      confirmação.
    - O desconto de 3% para pagamento à vista não se aplica ao cartão.
    - É possível dividir o valor em até dois cartões.

    Todas as transações passam por análise antifraude. Compras acima de R$ 20.000,00, ou com cartão de
    titular diferente do comprador, podem exigir confirmação adicional de identidade, como envio de
    documento com foto. O pedido é liberado após a aprovação da transação, normalmente em minutos.

    Estornos de compras canceladas seguem o prazo da administradora do cartão e podem aparecer em
    até duas faturas. Não aceitamos cartões de débito nem cartões emitidos no exterior.
    """,
)

_add(
    "pagamento-via-pix",
    "Pagamento via PIX: chave oficial, QR Code e prevenção a golpes",
    "pricing",
    """
    O PIX é a forma mais rápida de liberar um pedido, porque a confirmação é praticamente imediata.

    **Como pagar.** Após o aceite da cotação, o atendimento envia um QR Code dinâmico vinculado ao
    número do pedido, com validade de 24 horas. O QR Code já traz o valor exato; não é necessário
    digitar nada além da confirmação no aplicativo do banco. Também é possível usar a chave PIX
    oficial, que é exclusivamente o CNPJ da Helio Solar Distribuidora. Nesse caso, envie o
    comprovante ao atendimento informando o número do pedido.

    **Desconto.** Pagamentos via PIX têm 3% de desconto sobre o preço de tabela, igual ao boleto à
    vista.

    **Prevenção a golpes.** A Helio nunca solicita pagamento para chave de pessoa física, e-mail,
    telefone ou chave aleatória, nem para contas de outras empresas. Desconfie de mensagens que
    informem "mudança de conta bancária" ou ofereçam descontos fora do padrão para pagamento
    imediato. Em caso de dúvida, confirme os dados com seu consultor por um canal oficial antes de
    pagar.

    **Devoluções.** Se um pedido pago via PIX for cancelado, o valor é devolvido por PIX para a
    mesma conta de origem em até 5 dias úteis.
    """,
)

_add(
    "analise-de-credito-e-faturamento-a-prazo",
    "Análise de crédito e faturamento a prazo para empresas",
    "pricing",
    """
    ## Para quem é o faturamento a prazo

    O faturamento a prazo permite que integradores e revendas recebam a mercadoria antes de pagar,
    com boletos parcelados vinculados à nota fiscal. Ele está disponível somente para pessoas
    jurídicas com CNPJ ativo há pelo menos 12 meses e depende de análise de crédito aprovada. Pessoas
    físicas, microempreendedores individuais com menos de um ano de atividade e empresas com
    restrições cadastrais relevantes compram apenas com pagamento antecipado.

    ## Documentos necessários

    Para solicitar a análise, envie ao setor de crédito, pelo portal ou pelo e-mail do seu consultor:

    1. contrato social ou requerimento de empresário atualizado, com a última alteração;
    2. cartão CNPJ e comprovante de inscrição estadual (ou declaração de isenção);
    3. balanço patrimonial e DRE do último exercício, ou faturamento dos últimos 12 meses assinado
       pelo contador, para empresas do Simples Nacional;
    4. documento de identidade e CPF dos sócios administradores;
    5. três referências comerciais de fornecedores com quem a empresa compra a prazo;
    6. comprovante de endereço da sede.

    Documentos incompletos interrompem a análise. O setor de crédito pode pedir informações
    adicionais, como extratos bancários ou a carteira de projetos contratados.

    ## Prazo de análise

    A análise leva até 3 dias úteis após o recebimento de toda a documentação. O resultado é
    comunicado por e-mail ao responsável cadastrado, com o limite aprovado, os prazos disponíveis e
    eventuais garantias exigidas. Pedidos urgentes podem ser faturados com pagamento antecipado
    enquanto a análise não é concluída.

    ## Limites e prazos

    O limite de crédito é rotativo: cada boleto pago libera novamente o valor correspondente. Os
    prazos mais usados são:

    - 28 dias (pagamento único);
    - 28/56 dias;
    - 28/56/84 dias;
    - condições especiais de projeto, como 30/60/90/120 dias, apenas com aprovação da diretoria
      financeira.

    Prazos acima de 28 dias podem ter acréscimo financeiro, informado na cotação. O primeiro pedido
    de um cliente recém-aprovado costuma ter limite inicial reduzido, que é revisado após três
    pagamentos em dia.

    ## Garantias

    Para limites elevados ou empresas com pouco histórico, podemos solicitar garantias adicionais,
    como aval dos sócios, duplicatas de clientes do integrador ou seguro de crédito. A exigência de
    garantia é comunicada junto com o resultado da análise e não é negociada pelo assistente virtual.

    ## Revisão periódica do limite

    Os limites são revisados a cada seis meses ou sempre que houver mudança relevante no
    comportamento de pagamento. Clientes podem solicitar aumento de limite a qualquer momento,
    enviando documentos financeiros atualizados. Aumentos são mais rápidos quando a empresa mantém
    histórico de pagamentos em dia e cadastro atualizado.

    ## Compradores autorizados

    No cadastro de crédito, o cliente informa quais pessoas podem emitir pedidos em nome da empresa
    (nome, CPF, e-mail e telefone). Pedidos a prazo feitos por contatos não autorizados ficam
    retidos até a confirmação por um sócio ou comprador autorizado. Mantenha essa lista atualizada
    sempre que houver mudança na equipe de compras; é uma proteção importante contra fraudes com o
    uso indevido do nome da empresa.

    ## Pedidos de projeto e grandes volumes

    Pedidos acima do limite disponível podem ser aprovados de forma pontual, vinculados a uma obra
    específica, mediante análise complementar. Nesses casos, podemos pedir o contrato assinado com o
    cliente final, o cronograma físico-financeiro da obra e uma entrada de 20% a 30% do valor, com o
    saldo a prazo. O limite extraordinário não se incorpora ao limite rotativo e vale somente para
    os pedidos daquela obra.

    ## Fontes consultadas na análise

    A análise considera informações cadastrais públicas, bureaus de crédito, protestos, ações
    judiciais relevantes, referências comerciais e o histórico de pagamentos com a própria Helio.
    Esses dados são tratados conforme a LGPD, exclusivamente para a finalidade de concessão de
    crédito. O resultado da análise não é compartilhado com outros clientes ou fornecedores.

    ## Atrasos e inadimplência

    - Boletos em atraso têm multa de 2% e juros de mora de 1% ao mês, proporcionais aos dias.
    - Com qualquer título vencido há mais de 5 dias, novos pedidos a prazo ficam bloqueados até a
      regularização; pedidos com pagamento antecipado continuam liberados.
    - Após 15 dias de atraso, o título pode ser enviado a protesto e o CNPJ incluído em cadastros de
      proteção ao crédito, conforme aviso prévio exigido pela legislação.
    - Reincidências podem levar ao cancelamento do limite e à volta ao pagamento antecipado.

    Renegociações de débitos são tratadas exclusivamente pelo setor financeiro, com acordo formal por
    escrito.

    ## Alterações cadastrais e societárias

    Mudanças de sócios, de endereço da sede, de razão social ou de regime tributário devem ser
    comunicadas ao setor de crédito em até 30 dias. Alterações societárias relevantes podem levar a
    uma nova análise, e o limite pode ficar temporariamente suspenso até o envio do contrato social
    atualizado. Incorporações e cisões exigem cadastro e análise do novo CNPJ; o histórico de
    pagamentos da empresa anterior é considerado, mas o limite não é transferido automaticamente.
    Empresas que mudam do Simples Nacional para o lucro presumido ou real também devem atualizar o
    cadastro fiscal, porque isso altera o cálculo de impostos na nota fiscal.

    ## Boas práticas para manter o limite

    - Mantenha o e-mail financeiro atualizado para receber boletos e notas.
    - Informe com antecedência qualquer dificuldade de pagamento; acordos antes do vencimento evitam
      bloqueios e encargos maiores.
    - Concentre as compras de uma mesma obra em um único CNPJ para facilitar a conciliação.
    - Confira os boletos recebidos: o beneficiário deve ser sempre a Helio Solar Distribuidora.

    ## Perguntas frequentes

    **O limite vale para todos os CNPJs do meu grupo?** Não. Cada CNPJ tem análise e limite próprios,
    embora o grupo econômico seja considerado na avaliação de risco.

    **Posso usar o limite para retirada no CD?** Sim. A retirada segue as mesmas regras de
    faturamento e exige a nota fiscal emitida.

    **O assistente Hélio consegue aprovar crédito?** Não. O Hélio informa o andamento da análise e
    os documentos pendentes, mas a decisão é sempre do setor de crédito.
    """,
)

_add(
    "emissao-de-nota-fiscal",
    "Emissão de nota fiscal eletrônica, correções e refaturamento",
    "pricing",
    """
    Toda venda da Helio Solar é acompanhada de nota fiscal eletrônica (NF-e). A nota é emitida no
    momento do faturamento, antes da expedição, e o DANFE segue impresso junto com a mercadoria. O
    arquivo XML e o PDF são enviados automaticamente para o e-mail financeiro cadastrado e também
    ficam disponíveis no portal do cliente por cinco anos.

    **Dados da nota.** A nota sai com os dados do cadastro: razão social, CNPJ ou CPF, inscrição
    estadual e endereço. Confira esses dados na cotação; é muito mais simples corrigir antes do
    faturamento.

    **Carta de correção (CC-e).** Erros em campos como complemento de endereço, dados do transportador
    ou informações complementares podem ser corrigidos por carta de correção eletrônica. A CC-e não
    pode alterar valores, quantidades, impostos, destinatário (CNPJ/CPF) nem a data de emissão.

    **Cancelamento e refaturamento.** Quando é necessário trocar o destinatário ou valores, a nota é
    cancelada (até 24 horas após a autorização, se a mercadoria não tiver circulado) ou é feita nota
    de devolução e nova emissão. O refaturamento pode atrasar a entrega em 1 a 3 dias úteis.

    **Entrega em endereço diferente.** É possível faturar para um CNPJ e entregar em outro endereço,
    como a obra do cliente final, indicando o local de entrega no pedido.
    """,
)

_add(
    "atendimento-comercial-canais-e-horarios",
    "Canais de atendimento, horários e assistente virtual Hélio",
    "pricing",
    """
    A Helio Solar Distribuidora atende clientes pelos seguintes canais oficiais:

    - **WhatsApp comercial**, com o assistente virtual Hélio disponível 24 horas e transferência para
      consultores humanos em horário comercial;
    - **chat no site e portal do cliente**, com acesso a cotações, pedidos, notas fiscais e boletos;
    - **e-mail** do consultor responsável pela sua carteira;
    - **telefone** da central comercial.

    O horário de atendimento humano é de segunda a sexta-feira, das 8h às 18h, e aos sábados, das 8h
    às 12h (horário de Brasília), exceto feriados nacionais. Fora desse horário, o Hélio responde
    dúvidas sobre produtos, estoque, prazos, pagamentos e garantia, e registra solicitações para
    retorno de um consultor no próximo dia útil.

    Metas de atendimento: primeira resposta humana em até 30 minutos no WhatsApp e no chat em horário
    comercial, e em até 4 horas úteis por e-mail. Cotações simples são enviadas no mesmo dia;
    cotações de projetos acima de 75 kWp podem levar até 2 dias úteis.

    O Hélio não concede descontos fora da tabela, não aprova crédito e não altera dados cadastrais
    sensíveis. Para essas solicitações ele abre um chamado e informa o número do protocolo ao
    cliente.
    """,
)

_add(
    "kits-geradores-fotovoltaicos",
    "Kits geradores fotovoltaicos: composição, substituições e preço",
    "pricing",
    """
    Os kits geradores reúnem em um único pedido os itens necessários para um sistema conectado à
    rede: módulos, inversor (ou microinversores), estrutura de fixação adequada ao tipo de telhado,
    cabos solares, conectores MC4 compatíveis, string box ou dispositivos de proteção CC quando
    necessários, e acessórios.

    **Composição.** Cada kit é dimensionado para uma potência de pico (kWp) e para um tipo de
    telhado: cerâmico, fibrocimento, metálico, laje ou solo. A relação entre a potência dos módulos e
    a do inversor segue os limites do fabricante do inversor.

    **Substituições.** Se um item do kit estiver sem estoque, o atendimento pode propor substituição
    por modelo equivalente de potência igual ou superior, sem custo adicional, mediante aceite do
    cliente. Substituições que alterem a potência do inversor exigem nova conferência de
    compatibilidade.

    **Preço.** O preço do kit é a soma dos itens pela tabela do cliente, sem acréscimo para kits
    padrão. Kits montados sob medida têm acréscimo de montagem de 1,5%. O kit é faturado em uma única
    nota fiscal, com cada item discriminado com sua NCM e seus impostos.

    **Desmembramento.** Itens de um kit podem ser devolvidos separadamente apenas em caso de defeito;
    devoluções comerciais parciais não são aceitas para kits.
    """,
)

# ---------------------------------------------------------------------------
# Garantia, RMA e pós-venda (kind = "warranty")
# ---------------------------------------------------------------------------

_add(
    "garantia-modulos-fotovoltaicos",
    "Garantia de módulos fotovoltaicos: produto e performance linear",
    "warranty",
    """
    Os módulos fotovoltaicos comercializados pela Helio Solar têm duas garantias distintas,
    concedidas pelo fabricante e intermediadas pela distribuidora:

    **Garantia de produto (defeitos de fabricação): 12 anos.** Cobre defeitos de materiais e de
    fabricação, como delaminação, falhas na caixa de junção, diodos de bypass defeituosos, bolhas,
    corrosão de moldura em condições normais de uso e quebra espontânea de vidro sem impacto
    externo. Alguns modelos premium, especialmente bifaciais vidro-vidro, têm 15 anos ou mais.

    **Garantia de performance linear: 25 anos.** Assegura que a potência do módulo não cairá abaixo
    de uma curva de degradação informada na ficha técnica. Exemplo típico para módulos
    monocristalinos PERC: no máximo 2% de perda no primeiro ano e até 0,55% ao ano depois disso,
    garantindo pelo menos 84,8% da potência nominal no 25º ano. Módulos tipo N (TOPCon ou HJT)
    costumam garantir perda máxima de 1% no primeiro ano, cerca de 0,4% ao ano e 30 anos de
    performance.

    A comprovação de perda de performance exige medição com equipamento calibrado (curva I-V),
    corrigida para as condições padrão de teste (STC), ou laudo de laboratório aceito pelo
    fabricante. Medições apenas pelo aplicativo do inversor não são suficientes.

    Os prazos são contados a partir da data da nota fiscal de venda ou, conforme o fabricante, da
    data de fabricação indicada no número de série. Guarde as notas fiscais e a etiqueta de cada
    módulo.
    """,
)

_add(
    "garantia-inversores",
    "Garantia de inversores string e híbridos",
    "warranty",
    """
    A garantia dos inversores é concedida pelo fabricante e varia conforme a marca e a linha do
    produto:

    - **Inversores string on-grid residenciais e comerciais:** de 5 a 10 anos. O mais comum é 5 anos
      de garantia padrão, com algumas marcas oferecendo 7 ou 10 anos para linhas específicas.
    - **Inversores híbridos (com bateria):** normalmente 5 anos para o inversor; as baterias têm
      garantia própria, em geral de 10 anos ou por número de ciclos, o que ocorrer primeiro.
    - **Inversores centrais e de grande porte:** garantia definida em contrato de projeto, com opção
      de extensão.

    **Extensão de garantia.** Diversos fabricantes vendem extensão para até 15 ou 20 anos, que deve
    ser contratada dentro do prazo definido por eles (normalmente nos primeiros 12 a 24 meses após a
    instalação). A Helio pode intermediar a contratação.

    **Início da garantia.** Conta a partir da data da nota fiscal de venda da Helio para o
    integrador, salvo regra diferente do fabricante. Alguns fabricantes exigem o cadastro do
    equipamento no portal de monitoramento e a conexão do inversor à internet durante a vigência
    para manter a garantia.

    **Como acionar.** Em caso de falha, siga o processo de RMA: tenha em mãos a nota fiscal, o número
    de série, fotos da instalação e os códigos de erro exibidos no display ou no aplicativo.
    """,
)

_add(
    "garantia-microinversores",
    "Garantia de microinversores e regras de substituição",
    "warranty",
    """
    Microinversores têm garantias mais longas que os inversores string, pois são instalados junto aos
    módulos e projetados para ciclos de vida equivalentes. Os prazos usuais vão de 10 a 15 anos e
    alguns fabricantes oferecem até 25 anos para linhas específicas, mediante registro do sistema
    no portal do fabricante.

    **Condições específicas:**

    - o gateway de comunicação (ECU, DTU ou equivalente) tem garantia própria, em geral de 2 a 5
      anos, mais curta que a do microinversor;
    - a garantia costuma exigir que o sistema esteja registrado e com monitoramento ativo, para que
      o fabricante consiga confirmar a falha remotamente;
    - a substituição é feita por unidade: apenas o microinversor defeituoso é trocado, por um modelo
      igual ou por um sucessor compatível indicado pelo fabricante;
    - os cabos tronco (trunk) e os conectores de terminação devem ser do mesmo fabricante; cabos
      adaptados ou emendados anulam a garantia.

    **Mão de obra.** A garantia cobre o equipamento. O custo de deslocamento e de mão de obra para
    retirar e reinstalar o microinversor no telhado é do integrador, salvo quando o fabricante
    oferece programa de reembolso de mão de obra; nesse caso o valor e as regras são os do
    fabricante.
    """,
)

_add(
    "processo-rma-equipamentos-defeituosos",
    "Processo de RMA: como enviar um equipamento com defeito para análise e troca",
    "warranty",
    """
    ## O que é o RMA

    RMA (Return Merchandise Authorization) é o processo pelo qual o cliente solicita a análise de um
    equipamento com suspeita de defeito dentro do prazo de garantia. A Helio Solar Distribuidora
    intermedeia o RMA entre o integrador e o fabricante, cuidando da triagem técnica, da logística e
    do acompanhamento até a solução. O processo vale para inversores, microinversores, módulos,
    baterias, string boxes e demais itens vendidos pela Helio.

    ## Antes de abrir o chamado

    Muitos alarmes não são defeitos do equipamento. Antes de solicitar o RMA, verifique:

    1. se a tensão da rede está dentro da faixa aceita pelo inversor (erros de sobretensão ou
       subtensão da rede geralmente são problemas da concessionária ou do padrão de entrada);
    2. se o disjuntor CA e as chaves seccionadoras CC estão ligados;
    3. se a tensão das strings está dentro da janela de operação (MPPT) e abaixo da tensão máxima de
       entrada do inversor;
    4. se não há falha de isolamento causada por cabos danificados, conectores mal crimpados ou
       infiltração de água;
    5. se o firmware está atualizado e o padrão de rede configurado é o brasileiro.

    Nosso suporte técnico pode ajudar nesse diagnóstico remotamente pelo WhatsApp ou por chamada de
    vídeo. Cerca de um terço dos chamados é resolvido nessa etapa, sem necessidade de troca.

    ## Abertura do RMA

    A solicitação é feita pelo portal do cliente (menu "Garantia") ou pelo atendimento. Informe:

    - número da nota fiscal de compra na Helio;
    - modelo e número de série do equipamento (foto legível da etiqueta);
    - descrição do defeito e data em que começou;
    - códigos de erro exibidos no display ou no aplicativo de monitoramento, com prints;
    - fotos da instalação mostrando o equipamento, as proteções CA e CC, o aterramento e a
      ventilação do local;
    - para módulos, fotos frontais e traseiras, da etiqueta e, quando houver, laudo de curva I-V ou
      imagem termográfica.

    O chamado recebe um número de protocolo de RMA, que deve acompanhar todas as comunicações e a
    embalagem do equipamento.

    ## Triagem técnica e aprovação

    Com os dados completos, a triagem técnica leva até 3 dias úteis. Em muitos casos, o fabricante
    acessa os registros do inversor pelo portal de monitoramento. O resultado pode ser:

    - **solução remota:** ajuste de parâmetros ou atualização de firmware;
    - **RMA aprovado para envio:** o equipamento deve ser enviado para análise ou substituição;
    - **troca antecipada (advance replacement):** para alguns fabricantes e modelos, um equipamento
      novo é enviado antes do recebimento do defeituoso, mediante compromisso de devolução em até 15
      dias;
    - **RMA negado:** quando as evidências indicam causa excluída da garantia (ver documento sobre o
      que anula a garantia).

    ## Envio do equipamento

    O equipamento deve ser enviado na embalagem original ou em embalagem equivalente que o proteja
    contra impactos, junto com:

    - nota fiscal de remessa para conserto ou garantia emitida pelo cliente (CFOP 5.915 para
      operações dentro do estado ou 6.915 para operações interestaduais), referenciando a nota
      fiscal de compra;
    - cópia do protocolo de RMA do lado de fora da caixa.

    Clientes sem inscrição estadual podem enviar com declaração de conteúdo, conforme orientação do
    atendimento. Para RMAs aprovados, a coleta é agendada pela Helio via logística reversa, sem
    custo para o cliente, nas cidades atendidas pela transportadora parceira. Não envie acessórios
    (cabos, Wi-Fi stick, conectores) a menos que sejam solicitados.

    ## Análise e prazos

    Após o recebimento no centro de distribuição, o prazo de referência para conclusão do RMA é de
    até 30 dias corridos, que é o prazo máximo previsto no Código de Defesa do Consumidor para
    sanar o vício do produto. Na prática:

    - inversores com troca direta em estoque: 5 a 10 dias úteis;
    - inversores enviados ao laboratório do fabricante: 15 a 30 dias;
    - módulos com análise de performance: até 30 dias, podendo exigir ensaio em laboratório.

    Se o prazo de 30 dias não for cumprido, o cliente pode optar pela substituição por produto
    equivalente, pela restituição do valor pago ou pelo abatimento proporcional do preço.

    ## Defeito na chegada (DOA)

    Equipamentos que apresentam defeito na primeira energização, em até 30 dias após a entrega,
    são tratados como DOA (dead on arrival). Nesses casos a substituição é prioritária e feita
    diretamente do estoque da Helio, sem aguardar análise do fabricante, desde que a instalação
    esteja correta.

    ## Equipamento reserva

    Para integradores com contrato de parceria, podemos emprestar um inversor reserva de potência
    equivalente durante a análise, mediante disponibilidade e termo de comodato. O equipamento
    emprestado deve ser devolvido em até 5 dias úteis após a entrega do substituto.

    ## Laudo de improcedência

    Quando o fabricante conclui que o defeito não é coberto (por exemplo, dano por descarga
    atmosférica, sobretensão da rede ou umidade por instalação inadequada), é emitido um laudo de
    improcedência com fotos e descrição. O cliente pode:

    - solicitar orçamento de reparo fora da garantia, quando o fabricante oferecer;
    - pedir a devolução do equipamento no estado em que se encontra, com frete por conta do cliente;
    - autorizar o descarte ambientalmente adequado.

    Equipamentos com laudo de improcedência não retirados em 90 dias são descartados conforme a
    política de resíduos eletroeletrônicos.

    ## Custos do processo

    Para RMAs aprovados dentro da garantia, a Helio não cobra pela análise, pela coleta por logística
    reversa nem pelo envio do equipamento substituto. Ficam por conta do cliente a desinstalação e a
    reinstalação do equipamento, o deslocamento da equipe até a obra e o envio feito por conta
    própria sem coleta agendada. Quando o RMA é concluído como improcedente, o frete de retorno do
    equipamento ao cliente é cobrado.

    ## Acompanhamento

    O status do RMA pode ser consultado no portal ou com o assistente Hélio, informando o número do
    protocolo. As etapas exibidas são: aberto, em triagem, aguardando envio, em trânsito, em análise,
    concluído (substituído, reparado ou improcedente).
    """,
)

_add(
    "o-que-anula-a-garantia",
    "Situações que anulam ou excluem a garantia dos equipamentos",
    "warranty",
    """
    A garantia dos fabricantes cobre defeitos de fabricação. Ela é perdida ou não se aplica nas
    seguintes situações mais frequentes:

    - instalação em desacordo com o manual do fabricante ou com as normas ABNT NBR 16690 e NBR 5410,
      por exemplo sem aterramento, sem dispositivos de proteção contra surtos (DPS) ou com cabos
      subdimensionados;
    - tensão de entrada CC acima do limite do inversor, inclusive por excesso de módulos em série
      em dias frios;
    - uso de conectores de fabricantes diferentes acoplados entre si (por exemplo, um MC4 original
      com um conector genérico), o que causa aquecimento e arcos elétricos;
    - danos por descarga atmosférica, sobretensões da rede da distribuidora, inundações, incêndio
      ou outros eventos externos;
    - abertura do equipamento, violação de lacres ou reparo por assistência não autorizada;
    - número de série removido, ilegível ou adulterado;
    - inversor instalado em local sem a ventilação mínima indicada, exposto à chuva direta sem grau
      de proteção adequado ou em ambiente com maresia sem especificação para isso;
    - módulos pisados, furados, com moldura perfurada para fixação não prevista, limpos com
      produtos abrasivos ou jatos de alta pressão, ou armazenados de forma inadequada;
    - uso do equipamento em aplicação diferente da especificada (por exemplo, inversor on-grid
      operando em sistema isolado).

    Desgaste estético que não afeta o desempenho, como pequenas manchas ou descoloração leve da
    moldura, também não é considerado defeito. Em caso de dúvida sobre uma instalação específica,
    consulte o suporte técnico antes de energizar o sistema.
    """,
)

_add(
    "garantia-estruturas-cabos-e-acessorios",
    "Garantia de estruturas de fixação, cabos, conectores e string boxes",
    "warranty",
    """
    Além de módulos e inversores, os kits incluem itens com garantias próprias:

    - **Estruturas de fixação em alumínio e aço inox:** em geral de 10 a 12 anos contra corrosão e
      defeitos estruturais, desde que instaladas conforme o manual, com o espaçamento de ganchos e o
      torque de aperto indicados. Estruturas em ambientes com maresia intensa podem ter prazo menor.
    - **Cabos solares (CC):** garantia do fabricante contra defeitos de isolação, usualmente de 5
      anos; a vida útil projetada é de 25 anos quando instalados com proteção UV e fixação adequada.
    - **Conectores MC4 e compatíveis:** 1 a 2 anos contra defeitos de fabricação. A garantia exige
      crimpagem com ferramenta adequada e acoplamento apenas com conectores do mesmo fabricante.
    - **String boxes e quadros de proteção:** 1 ano para a montagem; os componentes internos (DPS,
      fusíveis, chaves) seguem a garantia de seus fabricantes.
    - **Baterias estacionárias de lítio:** geralmente 10 anos ou um número mínimo de ciclos, com
      capacidade remanescente garantida (por exemplo, 70%).

    Fusíveis queimados e DPS atuados após surtos são itens de proteção consumíveis e não são
    cobertos pela garantia.
    """,
)

_add(
    "suporte-tecnico-pos-venda",
    "Suporte técnico pós-venda: comissionamento, firmware e configuração",
    "warranty",
    """
    O suporte técnico pós-venda da Helio Solar ajuda integradores na colocação em operação e na
    manutenção dos sistemas. Os serviços incluídos, sem custo para clientes com compra na Helio, são:

    - **Comissionamento remoto:** acompanhamento por vídeo da primeira energização, conferência de
      tensões de string e configuração inicial do inversor.
    - **Configuração de padrão de rede:** seleção do código de país e dos parâmetros compatíveis com a
      ABNT NBR 16149 e com as exigências da distribuidora local (fator de potência, limites de
      tensão e frequência).
    - **Atualização de firmware:** orientação para atualizar pelo aplicativo ou por pendrive, conforme
      o fabricante.
    - **Monitoramento:** ajuda para cadastrar a planta no portal do fabricante e compartilhar o acesso
      com o cliente final.
    - **Diagnóstico de alarmes:** interpretação de códigos de erro e orientação de testes antes de um
      eventual RMA.

    Atendimento técnico de segunda a sexta, das 8h às 18h (horário de Brasília), pelo WhatsApp e pelo
    telefone da central. Visitas técnicas presenciais não estão incluídas e podem ser indicadas a
    credenciados dos fabricantes, com custo a combinar diretamente com eles.
    """,
)

_add(
    "devolucao-comercial-e-arrependimento",
    "Devolução comercial, direito de arrependimento e troca de modelo",
    "warranty",
    """
    Devolução comercial é a devolução de um produto sem defeito, por desistência ou erro na compra.

    **Pessoas físicas em compras online.** Quando a compra é feita fora do estabelecimento (site,
    WhatsApp, telefone) por consumidor final, vale o direito de arrependimento de 7 dias corridos a
    partir do recebimento, previsto no art. 49 do Código de Defesa do Consumidor. O produto deve ser
    devolvido sem uso, com embalagem e acessórios, e o reembolso é integral, incluindo o frete.

    **Empresas (compras para uso profissional ou revenda).** Não há direito de arrependimento
    automático. A Helio aceita devolução comercial em até 7 dias após a entrega, desde que:

    - o produto esteja lacrado, sem sinais de instalação;
    - o pallet de módulos esteja fechado, com cintas e cantoneiras originais;
    - o cliente emita nota fiscal de devolução referenciando a nota de venda.

    Nesses casos há taxa de reestocagem de 10% sobre o valor dos itens, e o frete de retorno é por
    conta do cliente. Itens sob encomenda, kits personalizados e lotes de oportunidade não aceitam
    devolução comercial.

    **Troca de modelo.** A troca por outro modelo segue as mesmas condições da devolução, com
    emissão de nova venda pela tabela vigente.
    """,
)

# ---------------------------------------------------------------------------
# Logística, frete e recebimento (kind = "logistics")
# ---------------------------------------------------------------------------

_add(
    "prazos-de-entrega-por-regiao",
    "Prazos de entrega por região e centro de distribuição",
    "logistics",
    """
    ## Centros de distribuição

    A Helio Solar Distribuidora expede a partir de dois centros de distribuição (CDs):

    - **CD Sudeste — Jundiaí (SP):** atende Sul, Sudeste, Centro-Oeste e Norte, e também o Nordeste
      quando o item não está disponível no CD Nordeste.
    - **CD Nordeste — Jaboatão dos Guararapes (PE):** atende prioritariamente os estados do Nordeste.

    O sistema escolhe automaticamente o CD com estoque mais próximo do destino. Pedidos com itens
    em CDs diferentes podem ser entregues em duas remessas, cada uma com sua nota fiscal, ou
    consolidados em uma única entrega, o que acrescenta de 3 a 5 dias úteis ao prazo.

    ## Quando o prazo começa a contar

    O prazo de entrega é contado em dias úteis a partir da liberação do pedido, que acontece:

    - na confirmação do PIX ou da transação de cartão;
    - na compensação do boleto à vista (1 a 2 dias úteis após o pagamento);
    - na aprovação do pedido pelo setor de crédito, no faturamento a prazo.

    Pedidos liberados até as 12h são separados no mesmo dia; após esse horário, a separação ocorre
    no dia útil seguinte. O faturamento e a expedição levam, em média, 1 dia útil após a separação.

    ## Prazos de referência a partir do CD Jundiaí (SP)

    Prazos em dias úteis após a expedição, para capitais e principais cidades atendidas por rodovia:

    - **Estado de São Paulo:** capital e região metropolitana, 1 a 2 dias; interior, 2 a 4 dias.
    - **Rio de Janeiro, Minas Gerais e Espírito Santo:** 2 a 5 dias.
    - **Paraná, Santa Catarina e Rio Grande do Sul:** 3 a 6 dias (oeste catarinense e fronteira
      gaúcha podem chegar a 7 dias).
    - **Goiás, Distrito Federal, Mato Grosso do Sul:** 3 a 6 dias.
    - **Mato Grosso e Tocantins:** 5 a 9 dias.
    - **Nordeste (quando expedido de Jundiaí):** 6 a 12 dias.
    - **Norte por rodovia (Rondônia, Acre e parte do Pará):** 8 a 14 dias.
    - **Amazonas, Amapá, Roraima e localidades com trecho fluvial:** 12 a 25 dias, conforme a
      disponibilidade de balsa e a época de cheia ou vazante dos rios.

    ## Prazos de referência a partir do CD Jaboatão dos Guararapes (PE)

    - **Pernambuco:** região metropolitana do Recife, 1 a 2 dias; Agreste e Sertão, 2 a 5 dias.
    - **Paraíba, Alagoas e Rio Grande do Norte:** 2 a 4 dias.
    - **Ceará, Sergipe e Bahia:** 3 a 6 dias (oeste baiano, até 8 dias).
    - **Piauí e Maranhão:** 4 a 8 dias.

    ## Fatores que podem alterar o prazo

    - **Área rural ou de difícil acesso:** acréscimo de 2 a 5 dias úteis; algumas localidades exigem
      entrega em veículo menor ou retirada na filial da transportadora.
    - **Restrição de circulação de caminhões:** grandes centros urbanos têm horários e zonas de
      restrição; a entrega pode exigir agendamento e veículo urbano de carga.
    - **Cargas completas (carreta dedicada):** para pedidos a partir de cerca de 600 módulos, a carreta
      sai direto do CD para a obra e o prazo costuma ser menor que o da carga fracionada.
    - **Feriados, greves, bloqueios de rodovias e eventos climáticos:** podem gerar atrasos que não
      dependem da Helio; nesses casos o cliente é avisado proativamente.
    - **Conferência fiscal em barreiras estaduais:** pode reter a carga por algumas horas ou dias,
      especialmente em operações interestaduais com DIFAL.

    ## Entregas em etapas e entrega futura

    Para obras com cronograma, é possível faturar o pedido completo e programar entregas parciais
    (venda para entrega futura), ou faturar cada etapa separadamente. A programação deve ser
    combinada com o consultor na cotação. O estoque é reservado para o pedido enquanto a
    programação estiver vigente, por até 90 dias.

    ## Acompanhamento e atrasos

    Após a expedição, o cliente recebe por e-mail e WhatsApp o número da nota fiscal, a
    transportadora e o link de rastreamento. Se o prazo de referência for ultrapassado em mais de 2
    dias úteis, o atendimento abre automaticamente uma ocorrência com a transportadora e informa uma
    nova previsão. Atrasos não geram cancelamento automático do pedido; o cliente pode solicitar o
    cancelamento se a nova previsão não atender à obra, com devolução integral dos valores pagos.

    ## Horário de corte em datas especiais

    Em vésperas de feriados nacionais e no fim do ano, o horário de corte para separação no mesmo dia
    pode ser antecipado para as 10h. O calendário de expedição de dezembro e janeiro é divulgado no
    portal e enviado por e-mail aos clientes ativos com pelo menos duas semanas de antecedência.

    ## Exemplos práticos

    - Integrador em Campinas (SP) que paga via PIX às 10h: separação no mesmo dia, expedição no dia
      seguinte e entrega prevista em 2 a 4 dias úteis.
    - Revenda em Fortaleza (CE) com itens disponíveis no CD Nordeste: entrega em 3 a 6 dias úteis após
      a expedição.
    - Cliente em Manaus (AM): entrega em 12 a 25 dias úteis, com cotação de frete específica e seguro
      obrigatório durante o trecho fluvial.

    ## Perguntas frequentes

    **Vocês entregam em mais de um endereço no mesmo pedido?** Cada endereço exige uma nota fiscal e
    um frete próprios; o pedido pode ser dividido em várias notas na cotação.

    **Qual o prazo em épocas de pico?** Em novembro e dezembro, e nas semanas anteriores a mudanças
    regulatórias, o volume de pedidos aumenta e a separação pode levar 1 a 2 dias úteis a mais. Nesses
    períodos, recomendamos fechar os pedidos com antecedência e programar as entregas das obras.

    **Posso pedir entrega expressa?** Para algumas regiões há frete expresso (aéreo ou rodoviário
    dedicado) sob cotação. Módulos fotovoltaicos, pelo tamanho e peso, geralmente não são aceitos no
    modal aéreo.

    **O prazo vale para sábado?** Não. Entregas são feitas de segunda a sexta, em horário comercial,
    salvo agendamento especial.
    """,
)

_add(
    "frete-cif-e-fob",
    "Modalidades de frete CIF e FOB: responsabilidades e custos",
    "logistics",
    """
    A Helio Solar trabalha com duas modalidades de frete:

    **CIF (Cost, Insurance and Freight).** O frete é contratado e pago pela Helio, que escolhe a
    transportadora parceira. O valor pode estar incluso (frete sem custo, conforme pedido mínimo) ou
    ser cobrado na nota fiscal. Até a entrega no endereço informado, o risco da mercadoria é da
    Helio: extravios e avarias de transporte são tratados por nós junto à transportadora e ao
    seguro.

    **FOB (Free on Board).** O cliente contrata a sua própria transportadora, que coleta a mercadoria
    no nosso centro de distribuição. O risco passa ao cliente no momento do carregamento, após a
    conferência e a assinatura do romaneio pelo motorista. Nessa modalidade:

    - a coleta deve ser agendada com pelo menos 24 horas de antecedência;
    - a transportadora deve apresentar os dados do veículo e do motorista e estar com o seguro em
      dia;
    - o cliente é responsável por contratar seguro de carga adequado ao valor da nota fiscal.

    A escolha entre CIF e FOB é feita na cotação. Pedidos faturados como CIF não podem ser coletados
    por transportadora do cliente sem refaturamento do frete. A retirada por veículo próprio do
    cliente segue as regras de retirada no CD.
    """,
)

_add(
    "avarias-no-recebimento",
    "Conferência no recebimento e tratamento de avarias de transporte",
    "logistics",
    """
    A conferência no ato da entrega é essencial para que avarias de transporte sejam cobertas.

    **No momento da entrega:**

    1. confira a quantidade de volumes com o DANFE e o conhecimento de transporte (CT-e);
    2. verifique se pallets de módulos estão com cintas, cantoneiras e filme intactos;
    3. observe caixas amassadas, molhadas ou com marcas de impacto, principalmente nos cantos;
    4. em caso de avaria aparente, anote a ressalva no canhoto e no comprovante da transportadora
       antes de assinar (por exemplo: "pallet tombado, 3 módulos com vidro trincado");
    5. fotografe os volumes ainda sobre o caminhão e depois de descarregados.

    **Recusa.** Volumes com avaria evidente podem ser recusados no ato; o restante da carga pode ser
    recebido normalmente (recusa parcial).

    **Prazo para comunicar.** Avarias devem ser comunicadas ao atendimento em até 24 horas após o
    recebimento, com fotos, número da nota fiscal e cópia do canhoto com a ressalva. Avarias ocultas,
    identificadas só na abertura da embalagem, devem ser comunicadas em até 5 dias corridos.
    Comunicações fora desses prazos ou sem ressalva no canhoto podem não ser aceitas pela seguradora.

    **Módulos danificados.** Nunca instale módulos com vidro trincado ou moldura empenada, mesmo que
    pareçam funcionar: microfissuras evoluem e podem causar pontos quentes. Após a aprovação da
    ocorrência, a reposição é enviada em até 10 dias úteis, sem custo, nas entregas CIF.
    """,
)

_add(
    "paletizacao-e-manuseio-de-modulos",
    "Paletização, descarga e manuseio de pallets de módulos",
    "logistics",
    """
    Os módulos fotovoltaicos são expedidos em pallets fechados do fabricante, normalmente com 31 a 36
    módulos, conforme o modelo. Um pallet de módulos de 540 a 580 W pesa entre 800 kg e 1.000 kg e tem
    cerca de 2,3 m de altura quando os módulos estão na vertical.

    **Descarga.** Exige empilhadeira ou caminhão com guindaste (munck) e deve ser feita com o pallet na
    posição em que foi transportado. Nunca descarregue módulos "no braço" a partir do caminhão nem
    incline o pallet além do indicado na embalagem. A descarga é responsabilidade do cliente, salvo
    contratação prévia de serviço de descarga.

    **Armazenagem em obra.** Os pallets devem ficar em piso nivelado e firme, cobertos, protegidos de
    chuva e de umidade do solo. Não empilhe mais de dois pallets e nunca empilhe pallets abertos.

    **Abertura.** Corte as cintas com o pallet apoiado e travado, retire os módulos um a um com duas
    pessoas, segurando pela moldura. Não apoie módulos sobre a caixa de junção ou sobre os cabos e
    não os arraste sobre superfícies ásperas.

    **Pallets fracionados.** Quando o pedido não fecha um pallet, os módulos são reembalados no CD em
    caixas com separadores, com custo de reembalagem incluído no frete.
    """,
)

_add(
    "retirada-no-cd",
    "Retirada de mercadorias no centro de distribuição",
    "logistics",
    """
    Clientes podem retirar pedidos diretamente nos CDs de Jundiaí (SP) ou Jaboatão dos Guararapes
    (PE), sem custo de frete.

    **Agendamento.** A retirada deve ser agendada pelo atendimento com pelo menos 1 dia útil de
    antecedência, após a liberação do pedido. Horário de retirada: segunda a sexta, das 8h às 16h30.

    **Documentos.** O motorista deve apresentar documento oficial com foto. Se não for o titular ou
    sócio da empresa compradora, é necessária autorização de retirada assinada pelo cliente, com nome
    e CPF do motorista e placa do veículo, enviada previamente ao atendimento.

    **Veículo.** O veículo deve ser compatível com a carga: pallets de módulos exigem caminhão com
    carroceria de pelo menos 2,4 m de altura útil ou descarga horizontal autorizada pelo fabricante.
    Cargas devem ser amarradas pelo motorista antes da saída; a Helio não carrega módulos em
    veículos de passeio, caminhonetes sem amarração adequada ou carretinhas.

    **Prazo para retirar.** O pedido fica disponível por 5 dias úteis após o agendamento. Após esse
    prazo, pode haver cobrança de armazenagem ou devolução da mercadoria ao estoque, com
    cancelamento do pedido.

    No momento da retirada, o risco passa ao cliente após a conferência e a assinatura do romaneio.
    """,
)

_add(
    "seguro-de-carga",
    "Seguro de carga no transporte de equipamentos fotovoltaicos",
    "logistics",
    """
    Toda entrega na modalidade CIF é coberta por seguro de transporte contratado pela Helio Solar e
    pelas transportadoras parceiras:

    - **RCTR-C** (Responsabilidade Civil do Transportador Rodoviário de Carga), obrigatório para a
      transportadora, que cobre danos à carga em caso de acidente com o veículo (colisão,
      tombamento, capotagem, incêndio);
    - **RC-DC** (Responsabilidade Civil por Desaparecimento de Carga), que cobre roubo e furto da
      carga durante o transporte;
    - **seguro de transporte do embarcador**, contratado pela Helio, que complementa as coberturas
      acima para avarias e trechos multimodais, como travessias fluviais.

    O custo do seguro já está incluído no frete CIF, seja cobrado ou sem custo, e corresponde a um
    percentual ad valorem sobre o valor da nota fiscal.

    Nas entregas FOB e nas retiradas no CD, o seguro é responsabilidade do cliente ou da
    transportadora contratada por ele. Recomendamos verificar se a apólice cobre o valor integral da
    nota, pois módulos e inversores concentram alto valor em pouco volume.

    Em caso de sinistro, o cliente deve seguir o procedimento de avarias no recebimento e guardar
    fotos e documentos; a Helio conduz a regulação junto à seguradora e repõe a mercadoria após a
    aprovação.
    """,
)

_add(
    "rastreamento-de-pedidos",
    "Rastreamento de pedidos e status de entrega",
    "logistics",
    """
    Cada pedido passa pelos seguintes status, visíveis no portal do cliente e consultáveis com o
    assistente Hélio:

    1. **Aguardando pagamento** — cotação aceita, aguardando PIX, boleto ou aprovação de crédito;
    2. **Liberado** — pagamento confirmado ou crédito aprovado;
    3. **Em separação** — itens sendo separados e conferidos no CD;
    4. **Faturado** — nota fiscal emitida, XML enviado por e-mail;
    5. **Em trânsito** — carga coletada pela transportadora;
    6. **Saiu para entrega** — veículo em rota para o endereço final;
    7. **Entregue** — canhoto assinado e digitalizado.

    Após o faturamento, o cliente recebe o nome da transportadora, o número do CT-e e o link de
    rastreamento. Também é possível rastrear pelo site da transportadora informando o CNPJ ou CPF do
    destinatário e o número da nota fiscal.

    Se o rastreamento ficar sem atualização por mais de 3 dias úteis, entre em contato com o
    atendimento: abriremos uma ocorrência com a transportadora. Para alterar endereço de entrega após
    o faturamento, é preciso emitir carta de correção e pode haver custo adicional de redespacho.
    """,
)

_add(
    "armazenagem-de-equipamentos-em-obra",
    "Armazenagem de módulos, inversores e baterias antes da instalação",
    "logistics",
    """
    O armazenamento inadequado entre a entrega e a instalação é uma causa comum de danos e de perda de
    garantia. Recomendações:

    **Módulos.** Mantenha os pallets fechados, cobertos e sobre piso seco e nivelado. Evite áreas com
    acúmulo de água e exposição prolongada ao sol com a embalagem de papelão, que pode se deteriorar
    com umidade. Módulos retirados do pallet devem ficar apoiados na lateral da moldura, nunca
    deitados sobre objetos pontiagudos nem empilhados sem separadores.

    **Inversores.** Guarde na embalagem original, em local coberto, seco e ventilado, com temperatura
    entre -25 °C e 60 °C e umidade relativa abaixo de 95% sem condensação (verifique o manual de cada
    fabricante). Não empilhe acima do limite impresso na caixa.

    **Baterias de lítio.** Armazene em local seco e ventilado, de preferência entre 15 °C e 30 °C, com
    estado de carga entre 30% e 60%. Baterias armazenadas por mais de seis meses precisam de recarga
    periódica conforme o fabricante.

    **Prazo recomendado.** Procure instalar os equipamentos em até 90 dias após a entrega. Para
    obras longas, prefira entregas programadas em etapas.
    """,
)

_add(
    "entrega-agendada-e-descarga",
    "Entrega agendada, acesso do caminhão e descarga no destino",
    "logistics",
    """
    Entregas em obras, condomínios, shoppings, indústrias e áreas com restrição de circulação exigem
    agendamento. Informe na cotação:

    - janela de horário disponível para recebimento e nome e telefone do responsável no local;
    - tipo de veículo que consegue acessar o endereço (caminhão toco, truck ou carreta);
    - se há empilhadeira, munck ou equipe para descarga no local;
    - restrições de acesso: portaria com cadastro prévio, altura máxima, rua sem saída, estrada de
      terra.

    **Descarga.** O motorista é responsável apenas por posicionar a carga na borda do veículo. A
    descarga é de responsabilidade do cliente. Para pallets de módulos, é obrigatório o uso de
    empilhadeira ou munck; a transportadora pode recusar a descarga manual por segurança.

    **Serviço adicional.** Podemos cotar caminhão com munck ou ajudantes para descarga, com custo
    informado antes do faturamento.

    **Tentativa frustrada.** Se a entrega não puder ser feita por ausência de responsável, endereço
    incorreto ou falta de condições de acesso, a nova tentativa tem custo de reentrega cobrado pela
    transportadora. Após duas tentativas, a mercadoria retorna ao CD e o cliente arca com o frete de
    retorno.
    """,
)

# ---------------------------------------------------------------------------
# Regulação, normas técnicas, LGPD e dimensionamento (kind = "regulatory")
# ---------------------------------------------------------------------------

_add(
    "ren-482-2012-origem-da-geracao-distribuida",
    "REN 482/2012: a resolução que criou a micro e minigeração distribuída",
    "regulatory",
    """
    A Resolução Normativa ANEEL nº 482, de 17 de abril de 2012, foi o marco inicial da geração
    distribuída no Brasil. Ela estabeleceu as condições gerais para o acesso de microgeração e
    minigeração distribuída aos sistemas de distribuição e criou o sistema de compensação de energia
    elétrica (net metering).

    **Principais pontos da redação original:**

    - microgeração: centrais com potência instalada de até 100 kW; minigeração: acima de 100 kW e até
      1 MW, usando fontes renováveis ou cogeração qualificada;
    - a energia injetada na rede gera créditos em kWh, que abatem o consumo da própria unidade ou de
      outras unidades do mesmo titular na mesma área de concessão;
    - validade dos créditos de 36 meses;
    - obrigação das distribuidoras de adequar seus procedimentos e publicar normas técnicas de
      acesso, com base nos Procedimentos de Distribuição (PRODIST), Módulo 3.

    A REN 482 foi revisada de forma significativa pela REN 687/2015, que ampliou limites e
    modalidades. Em 2023, com a publicação da REN 1.059/2023, suas regras foram incorporadas à REN
    1.000/2021 para adequação à Lei 14.300/2022, e a REN 482 foi revogada. O texto continua sendo
    importante como referência histórica e para entender os sistemas conectados nas primeiras fases
    do mercado.
    """,
)

_add(
    "ren-687-2015-revisao-da-geracao-distribuida",
    "REN 687/2015: novos limites, autoconsumo remoto e geração compartilhada",
    "regulatory",
    """
    A Resolução Normativa ANEEL nº 687, de 24 de novembro de 2015, revisou a REN 482/2012 e entrou em
    vigor em março de 2016. Ela impulsionou o crescimento da energia solar distribuída no país ao
    trazer as seguintes mudanças:

    - **Novos limites de potência:** microgeração passou a ser de até 75 kW; minigeração, acima de 75 kW
      e até 5 MW (com limite de 3 MW para fontes hídricas).
    - **Validade dos créditos:** ampliada de 36 para 60 meses.
    - **Autoconsumo remoto:** créditos gerados em uma unidade podem abater o consumo de outras unidades
      do mesmo titular (mesmo CPF ou CNPJ) na mesma área de concessão.
    - **Geração compartilhada:** consumidores reunidos em consórcio ou cooperativa podem dividir os
      créditos de uma mesma central geradora.
    - **Empreendimentos com múltiplas unidades consumidoras (EMUC):** condomínios podem instalar um
      sistema e repartir os créditos entre os condôminos em percentuais definidos.
    - **Simplificação do acesso:** formulários padronizados, prazos menores para as distribuidoras
      (na ordem de 34 dias no total para microgeração sem obras) e, a partir de 2017, possibilidade de
      protocolar as solicitações pela internet.
    - **Medição:** os custos de adequação do sistema de medição da microgeração passaram a ser da
      distribuidora.

    Essas regras valeram até a entrada em vigor da Lei 14.300/2022, que manteve os limites de
    microgeração e criou a regra de transição para a cobrança do Fio B.
    """,
)

_add(
    "ren-1000-2021-regras-de-distribuicao",
    "REN 1000/2021: regras de prestação do serviço de distribuição e conexão",
    "regulatory",
    """
    A Resolução Normativa ANEEL nº 1.000, de 7 de dezembro de 2021, consolidou em um único texto as
    regras de prestação do serviço público de distribuição de energia elétrica, substituindo a antiga
    REN 414/2010 e dezenas de outras resoluções. Ela trata dos direitos e deveres dos consumidores e
    das distribuidoras, incluindo:

    - pedidos de conexão, aumento de carga e orçamentos de conexão;
    - medição, leitura e faturamento, inclusive o custo de disponibilidade;
    - prazos de atendimento, vistoria e ligação;
    - atendimento ao consumidor, reclamações e ressarcimento de danos elétricos;
    - suspensão do fornecimento e religação.

    **Relação com a geração distribuída.** Em fevereiro de 2023, a REN 1.059/2023 incorporou à REN
    1.000 as regras de micro e minigeração distribuída, adequando-as à Lei 14.300/2022, e revogou a
    REN 482/2012. Desde então, a REN 1.000 é a referência regulatória para solicitação de conexão
    de sistemas fotovoltaicos, sistema de compensação de energia, modalidades de geração
    compartilhada e autoconsumo remoto e para os prazos que a distribuidora deve cumprir.

    Para o integrador, os pontos mais práticos são: o formulário de solicitação de orçamento de
    conexão, os documentos obrigatórios, os prazos de resposta da distribuidora e as regras de
    vistoria e troca do medidor. A distribuidora também deve disponibilizar o acompanhamento das
    solicitações em canal eletrônico.
    """,
)

_add(
    "lei-14300-2022-marco-legal-gd",
    "Lei 14.300/2022: marco legal da micro e minigeração distribuída",
    "regulatory",
    """
    ## Visão geral

    A Lei nº 14.300, de 6 de janeiro de 2022, publicada em 7 de janeiro de 2022, instituiu o marco
    legal da microgeração e minigeração distribuída, o Sistema de Compensação de Energia Elétrica
    (SCEE) e o Programa de Energia Renovável Social (PERS). Até então, as regras estavam apenas em
    resoluções da ANEEL; com a lei, os principais direitos e a regra de transição passaram a ter
    força legal, trazendo mais segurança jurídica para consumidores, integradores e investidores.
    A ANEEL regulamentou a lei principalmente por meio da REN 1.059/2023, que alterou a REN
    1.000/2021.

    ## Definições de micro e minigeração

    - **Microgeração distribuída:** central geradora com potência instalada, em corrente alternada,
      de até 75 kW.
    - **Minigeração distribuída:** potência instalada, em corrente alternada, acima de 75 kW e até
      5 MW para fontes despacháveis e até 3 MW para fontes não despacháveis, como a solar
      fotovoltaica sem armazenamento. Houve regra de transição que manteve o limite de 5 MW para
      projetos não despacháveis protocolados nos primeiros 12 meses de vigência da lei.

    A lei veda a divisão de uma central geradora em unidades menores para se enquadrar em limites
    de potência ou em regras mais favoráveis, e também proíbe a comercialização de pareceres de
    acesso ou orçamentos de conexão.

    ## Direito adquirido (regra de transição)

    Ficaram mantidas as regras anteriores (compensação integral de todas as componentes tarifárias)
    até 31 de dezembro de 2045 para:

    - unidades que já tinham micro ou minigeração em operação na data de publicação da lei;
    - unidades que protocolaram a solicitação de acesso na distribuidora em até 12 meses após a
      publicação, ou seja, até 7 de janeiro de 2023, desde que cumpram os prazos para iniciar a
      injeção de energia (120 dias para microgeração e prazos maiores para minigeração, contados do
      parecer de acesso).

    O direito é vinculado à unidade consumidora e ao sistema de geração, e não ao titular; em caso
    de venda do imóvel, o benefício permanece. Aumentos de potência posteriores podem fazer com que a
    parcela acrescida siga as novas regras.

    ## Cobrança gradual do Fio B

    Para sistemas que solicitaram acesso após 7 de janeiro de 2023, a energia compensada passa a pagar
    gradualmente a parcela da tarifa de uso referente à remuneração da rede de distribuição
    (componente TUSD Fio B). O percentual cobrado sobre o Fio B é:

    - 15% em 2023;
    - 30% em 2024;
    - 45% em 2025;
    - 60% em 2026;
    - 75% em 2027;
    - 90% em 2028;
    - a partir de 2029, aplica-se a regra definitiva, que deverá considerar a valoração de custos e
      benefícios da geração distribuída conforme diretrizes do CNPE e cálculos da ANEEL.

    Projetos protocolados entre o 13º e o 18º mês após a publicação da lei tiveram um escalonamento
    próprio, com a transição se estendendo até 2030. Para minigeração acima de 500 kW em autoconsumo
    remoto, ou em geração compartilhada em que um único titular detenha 25% ou mais dos créditos, a
    lei prevê cobrança mais ampla, que inclui 100% do Fio B, 40% do Fio A e encargos como TFSEE e
    P&D/EE. A cobrança incide apenas sobre a energia injetada e compensada; a energia consumida
    instantaneamente (autoconsumo simultâneo) não é afetada.

    ## Créditos de energia

    - Os créditos continuam em kWh e têm validade de 60 meses.
    - Podem ser usados na própria unidade, em autoconsumo remoto (unidades do mesmo titular na mesma
      área de concessão), em geração compartilhada (consórcio, cooperativa, condomínio civil
      voluntário ou associação civil) e em empreendimentos com múltiplas unidades consumidoras.
    - O titular pode alterar a distribuição dos créditos entre as unidades beneficiárias, respeitando
      a antecedência exigida pela distribuidora.
    - Créditos de consumidores que encerram o contrato podem ser transferidos para outra unidade do
      mesmo titular na mesma área de concessão.

    ## Custo de disponibilidade

    A lei alterou a forma de aplicar o custo de disponibilidade (a "taxa mínima" de 30, 50 ou 100 kWh
    para ligações monofásicas, bifásicas e trifásicas) às novas unidades com geração distribuída,
    para evitar a cobrança em duplicidade com a componente de uso da rede. Na prática, o valor mínimo
    faturado depende da regra aplicável à unidade e à data do protocolo.

    ## Garantia de fiel cumprimento

    Para reduzir a reserva especulativa de capacidade da rede, projetos de minigeração com potência
    acima de 500 kW precisam apresentar garantia de fiel cumprimento: 2,5% do investimento para
    centrais entre 500 kW e 1.000 kW e 5% para centrais a partir de 1.000 kW. Há dispensa para
    algumas modalidades, como geração compartilhada por consórcios ou cooperativas e
    empreendimentos com múltiplas unidades consumidoras.

    ## Outros pontos relevantes

    - **Prazos da distribuidora:** a lei reforçou os prazos para emissão do parecer de acesso e para
      conexão, e permite ao consumidor reclamar à ouvidoria e à ANEEL em caso de descumprimento.
    - **Adequação de rede:** quando a conexão exige obras, os custos seguem as regras de
      participação financeira da REN 1.000, com tratamento específico para microgeração.
    - **Programa de Energia Renovável Social (PERS):** prevê investimentos em sistemas fotovoltaicos
      para consumidores de baixa renda, com recursos de programas de eficiência energética.
    - **Armazenamento:** sistemas com baterias podem ser tratados como fonte despachável, conforme
      critérios definidos na regulamentação.

    ## Impactos práticos para o integrador

    1. **Atualize as simulações de retorno:** para projetos novos em 2026, considere 60% do Fio B
       sobre a energia injetada e compensada, e a evolução anual até 2028.
    2. **Valorize o autoconsumo simultâneo:** cargas diurnas (comércio, indústria, ar-condicionado)
       reduzem a energia injetada e, portanto, o impacto do Fio B.
    3. **Documente a data de protocolo:** ela define a regra aplicável ao sistema por décadas.
    4. **Oriente o cliente final** sobre a diferença entre o valor nominal da energia gerada e o valor
       efetivamente compensado na fatura.
    5. **Avalie armazenamento** em projetos com baixa simultaneidade ou com tarifas horárias.

    ## Perguntas frequentes

    **Meu cliente instalou o sistema em 2021. Ele paga Fio B?** Não, até 2045, desde que mantidas as
    condições do direito adquirido.

    **Um sistema novo de 5 kWp em 2026 ainda compensa?** Sim. O Fio B reduz apenas parte do valor da
    energia injetada; o retorno do investimento segue atrativo na maioria das distribuidoras, embora
    alguns meses mais longo do que nas regras anteriores.

    **A lei acabou com a compensação de energia?** Não. A lei manteve a compensação em kWh e garantiu
    uma transição gradual e previsível.
    """,
)

_add(
    "inmetro-portaria-140-2022",
    "Inmetro Portaria 140/2022: certificação e registro de módulos e inversores",
    "regulatory",
    """
    A Portaria Inmetro nº 140, de 21 de março de 2022, aprovou o regulamento técnico da qualidade e os
    requisitos de avaliação da conformidade para equipamentos de geração, condicionamento e
    armazenamento de energia elétrica em sistemas fotovoltaicos, substituindo a antiga Portaria
    004/2011.

    **O que exige.** Os equipamentos abrangidos — entre eles módulos fotovoltaicos, inversores
    conectados à rede e inversores para sistemas isolados, além de controladores de carga — só podem
    ser fabricados, importados e comercializados no Brasil com certificação compulsória por
    organismo acreditado e com registro de objeto ativo no Inmetro. O regulamento estabeleceu
    prazos escalonados de adequação para fabricantes, importadores e comércio.

    **Etiquetagem.** Módulos fotovoltaicos recebem a Etiqueta Nacional de Conservação de Energia
    (ENCE), com a classificação de eficiência; os inversores devem trazer o selo de identificação da
    conformidade.

    **Como verificar.** O número de registro pode ser consultado no sistema de consulta de registros
    de objetos do Inmetro, pesquisando pelo fabricante ou modelo. A Helio Solar comercializa apenas
    produtos com registro válido e disponibiliza os certificados na ficha de cada produto.

    **Por que importa para o integrador.** As distribuidoras exigem, no processo de solicitação de
    conexão, o certificado de conformidade do inversor (Inmetro) ou documento equivalente aceito por
    elas. Um inversor sem registro pode travar a homologação do sistema. Além disso, a venda de
    produtos sem certificação compulsória está sujeita a autuação e apreensão.
    """,
)

_add(
    "nbr-16690-instalacoes-arranjos-fotovoltaicos",
    "ABNT NBR 16690: requisitos de projeto para instalações elétricas de arranjos fotovoltaicos",
    "regulatory",
    """
    ## Escopo da norma

    A ABNT NBR 16690:2019 — Instalações elétricas de arranjos fotovoltaicos — Requisitos de projeto
    trata do lado de corrente contínua (CC) dos sistemas fotovoltaicos: módulos, séries (strings),
    subarranjos, cabos, dispositivos de proteção, seccionamento e aterramento até a entrada do
    equipamento de conversão (inversor ou controlador de carga). Ela se aplica a arranjos com tensão
    CC máxima de até 1.500 V. O lado de corrente alternada continua sendo regido pela ABNT NBR 5410,
    e a interface com a rede segue a NBR 16149 e as normas da distribuidora.

    Este documento é um resumo orientativo dos pontos mais cobrados em projetos e vistorias; não
    substitui a leitura da norma completa.

    ## Conceitos e configurações

    A norma define os elementos do arranjo — módulo, série fotovoltaica, subarranjo e arranjo — e
    descreve configurações típicas: uma única série, várias séries em paralelo ligadas diretamente ao
    inversor, séries agrupadas em caixas de junção (string box) e arranjos com múltiplas entradas
    MPPT. Também distingue sistemas com e sem separação galvânica entre os lados CC e CA, o que
    influencia as exigências de aterramento e de detecção de falhas de isolamento.

    ## Tensão máxima do arranjo

    A tensão máxima do arranjo deve ser calculada a partir da tensão de circuito aberto (Voc) dos
    módulos corrigida para a menor temperatura esperada no local. Como a tensão aumenta no frio, o
    número máximo de módulos em série deve considerar essa correção, e o resultado não pode exceder
    a tensão máxima de entrada do inversor nem a tensão máxima de sistema dos módulos (1.000 V ou
    1.500 V). Esse é um dos erros mais comuns em projetos e uma das causas mais frequentes de
    queima de inversores.

    ## Dimensionamento de cabos

    - Os condutores CC devem suportar a corrente máxima do circuito, considerando a corrente de
      curto-circuito (Isc) dos módulos com fatores de segurança (tipicamente 1,25 × Isc para a série),
      e os fatores de correção por temperatura e agrupamento.
    - Devem ser usados cabos próprios para aplicação fotovoltaica, com isolação dupla, resistência a
      radiação UV e temperatura de operação adequada (cabos conforme ABNT NBR 16612 ou norma
      equivalente).
    - Recomenda-se limitar a queda de tensão no lado CC, em geral a valores da ordem de 1% a 3%, para
      não comprometer a geração.
    - Os cabos positivo e negativo de uma mesma série devem ser instalados próximos, minimizando a
      área de laço e reduzindo tensões induzidas por descargas atmosféricas.

    ## Proteção contra sobrecorrente

    Em arranjos com várias séries em paralelo, uma série em falta pode receber corrente reversa das
    demais. A norma exige proteção contra sobrecorrente (fusíveis de string ou disjuntores CC)
    quando a corrente reversa possível supera a capacidade de corrente reversa dos módulos,
    informada pelo fabricante. Em termos práticos, arranjos com uma ou duas séries por entrada
    geralmente dispensam fusíveis; com três ou mais séries em paralelo, a proteção normalmente é
    necessária. Os dispositivos devem ser próprios para corrente contínua e para a tensão máxima do
    arranjo, e precisam ser instalados nos condutores exigidos pela configuração de aterramento.

    ## Seccionamento

    Deve haver meios de seccionamento que permitam isolar o arranjo do inversor para manutenção com
    segurança. Chaves seccionadoras CC devem ser capazes de interromper a corrente sob carga e ser
    adequadas à tensão máxima do arranjo. Muitos inversores já incorporam chave CC integrada, que pode
    atender a esse requisito conforme a configuração. Conectores não devem ser usados como meio de
    seccionamento sob carga.

    ## Proteção contra surtos

    A necessidade de dispositivos de proteção contra surtos (DPS) no lado CC é avaliada com base na
    análise de risco de descargas atmosféricas, no comprimento dos cabos e na existência de sistema
    de proteção contra descargas atmosféricas (SPDA) na edificação. Os DPS devem ser próprios para
    CC fotovoltaico, com tensão máxima de operação contínua compatível com a tensão do arranjo, e
    coordenados com o DPS interno do inversor, quando houver.

    ## Aterramento e equipotencialização

    - As partes metálicas expostas — molduras dos módulos e estruturas de fixação — devem ser
      interligadas ao sistema de equipotencialização e aterramento da instalação.
    - O aterramento funcional de um dos polos do arranjo só é permitido quando previsto pelo
      fabricante do inversor e com as proteções correspondentes.
    - Em edificações com SPDA, a norma orienta sobre a distância de segurança ou a interligação entre
      a estrutura do arranjo e o SPDA.
    - Conexões entre estrutura de alumínio e condutores de cobre devem usar conectores bimetálicos ou
      arruelas apropriadas para evitar corrosão galvânica.

    ## Detecção de falhas de isolamento

    Os inversores normalmente monitoram a resistência de isolamento do arranjo antes de iniciar a
    operação e a corrente residual durante o funcionamento. Alarmes de falha de isolamento indicam
    cabos danificados, conectores com infiltração ou módulos com problema e devem ser investigados
    antes de qualquer pedido de garantia.

    ## Conectores

    Os conectores devem ser de mesmo tipo e fabricante em cada acoplamento, com grau de proteção
    adequado à instalação externa, e crimpados com ferramenta específica. Acoplamentos entre
    conectores de fabricantes diferentes são uma causa recorrente de aquecimento, arcos elétricos e
    incêndios em sistemas fotovoltaicos.

    ## Sinalização e documentação

    A instalação deve ter placas de advertência indicando a presença de tensão CC mesmo com o
    inversor desligado, identificação de caixas de junção, chaves e cabos, e instruções de
    desligamento de emergência. O projeto deve ser entregue com diagramas unifilares, especificação
    dos componentes, cálculos de tensão e corrente, folhas de dados de módulos e inversores e
    registros de comissionamento (a NBR 16274 trata dos ensaios de comissionamento e da
    documentação).

    ## Checklist rápido para o projetista

    1. Voc corrigida para a temperatura mínima local × número de módulos em série abaixo da tensão
       máxima do inversor e dos módulos.
    2. Tensão de máxima potência da série dentro da faixa de MPPT também nas temperaturas altas.
    3. Corrente por entrada MPPT dentro do limite do inversor (atenção a módulos bifaciais e de alta
       corrente).
    4. Cabos fotovoltaicos com seção adequada e queda de tensão controlada.
    5. Fusíveis de string avaliados conforme número de séries em paralelo.
    6. Seccionamento CC acessível e adequado.
    7. DPS CC definido pela análise de risco.
    8. Equipotencialização das molduras e estruturas.
    9. Conectores compatíveis e crimpados corretamente.
    10. Sinalização e documentação completas.
    """,
)

_add(
    "nbr-16149-16150-interface-com-a-rede",
    "ABNT NBR 16149 e NBR 16150: interface de conexão de inversores com a rede",
    "regulatory",
    """
    **NBR 16149:2013 — Sistemas fotovoltaicos — Características da interface de conexão com a rede
    elétrica de distribuição.** Define o comportamento que o inversor deve ter quando conectado à rede
    de baixa tensão. Valores de referência:

    - **Fator de potência:** inversores de até 3 kW devem operar com fator de potência próximo de 1
      (mínimo 0,98); de 3 kW a 6 kW, ajustável entre 0,95 indutivo e 0,95 capacitivo; acima de 6 kW,
      ajustável entre 0,90 indutivo e 0,90 capacitivo.
    - **Tensão:** operação normal entre 80% e 110% da tensão nominal; fora dessa faixa, o inversor
      deve se desconectar dentro dos tempos definidos na norma.
    - **Frequência:** desconexão abaixo de 57,5 Hz; entre 60,5 Hz e 62 Hz, redução da potência ativa;
      acima de 62 Hz, desconexão.
    - **Anti-ilhamento:** desconexão em até 2 segundos após a perda da rede.
    - **Reconexão:** somente após a normalização da rede, com atraso de 20 a 300 segundos.
    - **Qualidade de energia:** limites de distorção harmônica de corrente (THD total abaixo de 5%) e
      de injeção de componente contínua.

    **NBR 16150:2013 — Procedimento de ensaio de conformidade.** Descreve os ensaios que
    comprovam o atendimento aos requisitos da NBR 16149. Junto com a ABNT NBR IEC 62116 (ensaio de
    anti-ilhamento), é a base da certificação de inversores no Brasil.

    **Na prática:** selecione o padrão de rede brasileiro no inversor durante o comissionamento e
    mantenha o firmware atualizado. Distribuidoras podem solicitar ajustes específicos de fator de
    potência ou de limitação de injeção no parecer de acesso.
    """,
)

_add(
    "nbr-5410-instalacoes-de-baixa-tensao",
    "ABNT NBR 5410 aplicada ao lado CA de sistemas fotovoltaicos",
    "regulatory",
    """
    A ABNT NBR 5410:2004 — Instalações elétricas de baixa tensão — é a norma geral para instalações
    de até 1.000 V em corrente alternada. Em sistemas fotovoltaicos, ela rege o lado CA: do
    inversor até o quadro de distribuição e o ponto de conexão com a rede.

    **Pontos que mais afetam o projeto fotovoltaico:**

    - **Circuito dedicado:** o inversor deve ser ligado em circuito exclusivo, com disjuntor
      dimensionado para a corrente nominal de saída do inversor e compatível com a seção do cabo.
    - **Dimensionamento dos condutores:** considera capacidade de condução de corrente, método de
      instalação, temperatura, agrupamento e queda de tensão. No circuito do inversor, recomenda-se
      queda de tensão baixa (em geral até 1% a 2%), porque tensões elevadas no ponto de conexão fazem
      o inversor desligar por sobretensão.
    - **Proteção diferencial residual (DR):** avaliar a necessidade e o tipo de DR conforme o
      inversor; alguns fabricantes especificam DR tipo A ou tipo B.
    - **DPS no lado CA:** instalação de dispositivos de proteção contra surtos coordenados com os DPS
      do quadro geral.
    - **Aterramento:** esquema de aterramento compatível (TN ou TT) e equipotencialização principal,
      interligando o aterramento do arranjo fotovoltaico.
    - **Seccionamento e identificação:** meios de seccionamento acessíveis e sinalização de que o
      quadro possui fonte de geração própria.

    O lado CC do sistema é tratado pela NBR 16690. Já as exigências de padrão de entrada, medição e
    proteção do ponto de conexão são definidas pela norma técnica da distribuidora local.
    """,
)

_add(
    "homologacao-na-distribuidora",
    "Homologação do sistema fotovoltaico na distribuidora: passo a passo",
    "regulatory",
    """
    ## O que é a homologação

    No mercado, chama-se de homologação o processo completo para conectar um sistema de micro ou
    minigeração distribuída à rede da distribuidora e incluí-lo no Sistema de Compensação de Energia
    Elétrica. Ele vai da solicitação de conexão até a troca ou adequação do medidor para medição
    bidirecional. O processo segue a REN 1.000/2021 (com as alterações da REN 1.059/2023) e a norma
    técnica de acesso de cada distribuidora, que pode ter formulários e exigências próprias.

    Sem a conclusão da homologação, o sistema não pode injetar energia na rede. Ligar o sistema antes
    da aprovação pode gerar notificação, cobrança de danos e até a desconexão da unidade.

    ## Quem faz

    A solicitação é feita em nome do titular da unidade consumidora, normalmente pelo integrador ou
    por um responsável técnico habilitado (engenheiro eletricista ou técnico com atribuição),
    mediante procuração quando exigido. A Helio Solar não protocola processos em nome de clientes,
    mas fornece toda a documentação técnica dos equipamentos.

    ## Etapa 1 — Levantamento e projeto

    Antes do protocolo, confirme:

    - titularidade da conta de energia e dados da unidade consumidora (número da instalação, classe,
      tipo de ligação: monofásica, bifásica ou trifásica);
    - carga instalada e potência disponibilizada no padrão de entrada, pois a potência da geração
      não pode superar a potência disponibilizada para a unidade sem solicitar aumento;
    - potência de módulos e inversores e enquadramento como micro (até 75 kW) ou minigeração;
    - modalidade de compensação: consumo local, autoconsumo remoto, geração compartilhada ou EMUC,
      com a lista de unidades beneficiárias e percentuais.

    ## Etapa 2 — Documentos

    A documentação usual para microgeração inclui:

    1. formulário de solicitação de orçamento de conexão (padrão da distribuidora);
    2. ART (Anotação de Responsabilidade Técnica) ou TRT do responsável técnico pelo projeto e pela
       execução;
    3. diagrama unifilar e, quando exigido, diagrama de blocos e memorial descritivo;
    4. certificado de conformidade do inversor (registro no Inmetro) ou laudo de ensaios equivalente
       aceito pela distribuidora;
    5. folhas de dados dos módulos e inversores;
    6. documentos do titular (CPF ou CNPJ) e procuração, se o solicitante for terceiro;
    7. para geração compartilhada ou EMUC, instrumento de constituição do consórcio, cooperativa ou
       condomínio e lista de rateio dos créditos.

    Para minigeração, são exigidos também projeto elétrico completo, estudos de proteção e, em muitos
    casos, documentos de licenciamento ambiental e garantia de fiel cumprimento quando aplicável.

    ## Etapa 3 — Protocolo e análise

    O protocolo é feito, em geral, pelo portal da distribuidora. A distribuidora verifica a
    documentação e pode solicitar complementações; o prazo fica suspenso enquanto houver pendências
    do solicitante. Após a análise, é emitido o orçamento de conexão (tradicionalmente chamado de
    parecer de acesso), que informa as condições de conexão e eventuais obras necessárias. Os prazos
    e o conteúdo desse documento são detalhados no documento sobre parecer de acesso desta base.

    ## Etapa 4 — Instalação

    Com o parecer favorável, o sistema pode ser instalado conforme o projeto aprovado. Alterações
    relevantes — como troca do modelo ou da potência do inversor — devem ser comunicadas à
    distribuidora e podem exigir nova análise. Mantenha registros fotográficos da instalação e do
    padrão de entrada.

    ## Etapa 5 — Solicitação de vistoria

    Concluída a instalação, o responsável solicita a vistoria. A distribuidora verifica se a
    instalação corresponde ao projeto e se estão presentes a sinalização de advertência no padrão de
    entrada ("Cuidado — risco de choque elétrico — geração própria"), as proteções e o aterramento.
    Em muitas distribuidoras a vistoria de microgeração é feita apenas por amostragem ou documental.

    ## Etapa 6 — Aprovação e troca do medidor

    Aprovada a vistoria, a distribuidora instala ou adequa o medidor bidirecional. Para
    microgeração, o custo da adequação da medição é da distribuidora. A partir da ligação, a energia
    injetada passa a gerar créditos, e a fatura mostra a energia injetada, a compensada e o saldo.

    ## Reprovações mais comuns

    - divergência entre o inversor instalado e o informado no projeto;
    - ausência de placa de advertência no padrão de entrada;
    - padrão de entrada fora da norma da distribuidora ou com disjuntor incompatível com a potência;
    - ART sem a atividade de execução ou com dados divergentes;
    - titularidade da conta diferente do solicitante, sem procuração;
    - inversor sem certificado aceito pela distribuidora.

    ## Ampliação de sistemas existentes

    Aumentar a potência de um sistema já conectado também exige nova solicitação à distribuidora,
    com projeto e ART atualizados. A potência acrescida segue as regras tarifárias da data do novo
    protocolo, enquanto a parcela original pode manter o enquadramento anterior. Nunca instale
    módulos ou inversores adicionais antes da aprovação da ampliação.

    ## Sistemas com baterias e limitação de exportação

    Sistemas híbridos, com armazenamento, e sistemas com limitação de exportação (injeção zero)
    também precisam ser informados à distribuidora, com a descrição do modo de operação e dos
    ajustes de proteção. Alguns projetos que seriam recusados por restrição de capacidade da rede
    podem ser aprovados com limitação de injeção, desde que o inversor e o medidor inteligente
    garantam a função de forma confiável.

    ## Como a Helio ajuda

    - Envio das folhas de dados e certificados Inmetro dos equipamentos comprados.
    - Conferência de compatibilidade entre módulos e inversores para o diagrama unifilar.
    - Orientação sobre ajustes do inversor solicitados pela distribuidora (fator de potência,
      limitação de exportação).
    - Emissão de declaração de compra com números de série, quando solicitada pela distribuidora.

    ## Dicas para evitar atrasos

    1. Verifique a norma técnica vigente da distribuidora antes de montar o processo.
    2. Use exatamente os modelos de equipamentos do projeto; em caso de substituição por falta de
       estoque, atualize o processo antes da vistoria.
    3. Confirme a potência disponibilizada do padrão de entrada no início do projeto.
    4. Acompanhe o processo pelo portal e responda às pendências rapidamente, porque o prazo da
       distribuidora fica suspenso enquanto houver exigências em aberto.
    """,
)

_add(
    "parecer-de-acesso-e-orcamento-de-conexao",
    "Parecer de acesso (orçamento de conexão): prazos e conteúdo",
    "regulatory",
    """
    O parecer de acesso — que na REN 1.000/2021, após a REN 1.059/2023, passou a ser chamado de
    orçamento de conexão — é o documento em que a distribuidora responde à solicitação de conexão de
    uma micro ou minigeração distribuída. Ele informa se a conexão é possível nas condições
    solicitadas, as características do ponto de conexão, eventuais obras de reforço ou ampliação da
    rede, os custos de responsabilidade do consumidor e os prazos.

    **Prazos de referência para emissão (contados do protocolo com documentação completa):**

    - microgeração sem necessidade de obras na rede: 15 dias;
    - minigeração sem obras: 30 dias;
    - quando há necessidade de obras ou estudos adicionais, os prazos são maiores e definidos na
      regulamentação.

    Pendências documentais suspendem a contagem até serem resolvidas. Em caso de descumprimento, o
    consumidor pode registrar reclamação na ouvidoria da distribuidora e, depois, na ANEEL.

    **Validade e prazos do consumidor.** O parecer tem validade limitada; para manter o direito à
    conexão, o consumidor precisa concluir a instalação e solicitar vistoria dentro dos prazos
    informados (por exemplo, 120 dias para microgeração, contados da emissão). Perder esse prazo pode
    exigir nova solicitação, com as regras tarifárias vigentes na nova data.

    **Conexão com restrições.** Em redes saturadas, a distribuidora pode indicar inversão de fluxo
    proibida, exigir obras ou propor limitação da potência injetada. Nesses casos, soluções com
    limitador de exportação (injeção zero) ou armazenamento podem viabilizar o projeto, mediante
    nova análise.
    """,
)

_add(
    "limites-de-micro-e-minigeracao",
    "Limites de potência de micro e minigeração distribuída",
    "regulatory",
    """
    Os limites vigentes, definidos pela Lei 14.300/2022 e regulamentados na REN 1.000/2021, são:

    - **Microgeração distribuída:** potência instalada de até 75 kW.
    - **Minigeração distribuída:** acima de 75 kW e até 5 MW para fontes despacháveis, e até 3 MW para
      fontes não despacháveis, como a solar fotovoltaica sem armazenamento (projetos protocolados no
      período de transição da lei puderam manter o limite de 5 MW).

    **Como a potência é considerada.** A lei define a potência instalada em corrente alternada. Para
    sistemas fotovoltaicos, a regulamentação considera, em linhas gerais, a menor entre a potência
    nominal total dos inversores e a potência total dos módulos. Por isso, um sistema com 90 kWp em
    módulos e 75 kW de inversores ainda se enquadra como microgeração.

    **Limite pela unidade consumidora.** Para consumidores do grupo B (baixa tensão), a potência da
    geração fica limitada à potência disponibilizada para a unidade; para o grupo A, à demanda
    contratada. Ultrapassar esse limite exige pedido de aumento de carga ou de demanda.

    **Vedação à divisão.** É proibido dividir uma central geradora em várias menores para enquadrá-la
    em limites mais favoráveis; a distribuidora pode recusar a conexão nesses casos.

    **Por que o enquadramento importa.** Microgeração tem processo simplificado, prazos menores e
    medição por conta da distribuidora. Minigeração exige projeto mais complexo, estudos de proteção,
    em geral conexão em média tensão e, acima de 500 kW, garantia de fiel cumprimento.
    """,
)

_add(
    "sistema-de-compensacao-de-creditos",
    "Sistema de compensação de energia: como funcionam os créditos em kWh",
    "regulatory",
    """
    No Sistema de Compensação de Energia Elétrica (SCEE), a energia gerada e não consumida no momento
    é injetada na rede e vira crédito em kWh, usado para abater o consumo em outros momentos.

    **Regras principais:**

    - os créditos são contados em energia (kWh), e não em reais, e valem por 60 meses;
    - primeiro a fatura abate o consumo da própria unidade geradora; o excedente pode ir para outras
      unidades cadastradas, conforme a modalidade;
    - as unidades beneficiárias devem estar na mesma área de concessão da distribuidora;
    - o titular define a ordem de prioridade ou os percentuais de rateio entre as unidades e pode
      alterá-los mediante solicitação à distribuidora;
    - em unidades com tarifa horária, os créditos são aplicados primeiro no mesmo posto tarifário e
      depois convertidos conforme a relação entre tarifas.

    **Modalidades:** consumo na própria unidade; autoconsumo remoto (unidades do mesmo titular);
    geração compartilhada (consórcio, cooperativa, condomínio civil voluntário ou associação civil);
    e empreendimentos com múltiplas unidades consumidoras, como condomínios.

    **O que não é compensado.** A fatura mantém o custo de disponibilidade ou a demanda contratada,
    conforme o caso, a contribuição de iluminação pública e, para sistemas conectados após a regra
    de transição da Lei 14.300/2022, a parcela do Fio B sobre a energia compensada.

    **ICMS.** Pelo Convênio ICMS 16/2015, os estados que aderiram isentam o ICMS sobre a energia
    compensada, dentro dos limites previstos na legislação de cada estado.
    """,
)

_add(
    "fio-b-e-transicao-tarifaria",
    "Fio B: o que é e quanto se paga na transição da Lei 14.300",
    "regulatory",
    """
    A tarifa de energia do consumidor cativo tem duas grandes partes: a TE (tarifa de energia) e a
    TUSD (tarifa de uso do sistema de distribuição). Dentro da TUSD, o **Fio B** é a componente que
    remunera a infraestrutura e a operação da rede da distribuidora local. Ele costuma representar
    uma parcela relevante da tarifa total, variando bastante entre distribuidoras.

    **O que mudou.** Para sistemas de geração distribuída que solicitaram acesso após 7 de janeiro de
    2023, a energia injetada na rede e compensada depois passa a pagar uma parte do Fio B, de forma
    escalonada: 15% em 2023, 30% em 2024, 45% em 2025, **60% em 2026**, 75% em 2027 e 90% em 2028. A
    partir de 2029 vale a regra definitiva definida pela ANEEL.

    **Exemplo simplificado para 2026.** Suponha uma tarifa total de R$ 0,90/kWh, em que o Fio B
    corresponda a R$ 0,25/kWh. Em 2026, cada kWh injetado e compensado deixa de abater 60% × R$ 0,25 =
    R$ 0,15. Um cliente que injeta 300 kWh/mês pagará cerca de R$ 45,00 de Fio B naquele mês. A
    energia consumida no mesmo instante em que é gerada não paga Fio B, porque nem chega a passar
    pelo medidor como energia injetada.

    **Quem não paga.** Sistemas já conectados ou protocolados até 7 de janeiro de 2023 mantêm a
    compensação integral até 31 de dezembro de 2045.

    **Dica comercial.** Nas propostas, mostre o payback com o Fio B do ano e a evolução até 2028, e
    destaque a importância do autoconsumo simultâneo.
    """,
)

_add(
    "lgpd-tratamento-de-dados-de-clientes",
    "LGPD: como tratamos dados pessoais de clientes e contatos",
    "regulatory",
    """
    A Helio Solar Distribuidora trata dados pessoais conforme a Lei Geral de Proteção de Dados
    Pessoais (Lei nº 13.709/2018 — LGPD).

    **Quais dados coletamos.** Nome, CPF, e-mail, telefone e cargo dos contatos dos clientes; dados
    cadastrais da empresa (CNPJ, razão social, inscrição estadual); endereços de entrega; histórico
    de cotações, pedidos e atendimentos, incluindo conversas com o assistente Hélio; e, no caso de
    consumidores finais, dados da unidade consumidora quando necessários para apoio técnico.

    **Para que usamos.** Execução de contratos e pedidos, emissão de notas fiscais, cobrança, análise
    de crédito, entrega, garantia e suporte técnico; cumprimento de obrigações legais e fiscais;
    prevenção a fraudes; e, com base no legítimo interesse ou no consentimento, comunicações
    comerciais, das quais é possível sair a qualquer momento.

    **Compartilhamento.** Apenas com quem precisa para executar o serviço: transportadoras,
    fabricantes (em processos de garantia), instituições financeiras e de análise de crédito,
    provedores de tecnologia e autoridades, quando exigido por lei. Não vendemos dados pessoais.

    **Retenção.** Documentos fiscais e contábeis são guardados pelo prazo legal (em geral, 5 anos).
    Conversas de atendimento são mantidas pelo tempo necessário para suporte e auditoria e depois
    anonimizadas ou excluídas. Na base de conhecimento e nos registros de análise, CPF, CNPJ,
    telefones e e-mails são mascarados.

    **Direitos do titular.** Confirmação e acesso aos dados, correção, anonimização, portabilidade,
    eliminação de dados tratados com consentimento, informação sobre compartilhamento e revogação do
    consentimento (art. 18 da LGPD). As solicitações são feitas ao encarregado de dados (DPO) pelo
    e-mail de privacidade informado no site e respondidas em até 15 dias.

    **No atendimento.** O Hélio nunca pede senhas, dados completos de cartão ou códigos de
    verificação. Evite enviar documentos pessoais que não tenham sido solicitados.
    """,
)

_add(
    "dimensionamento-inversor-projeto-comercial",
    "Como escolher o inversor para um projeto comercial: guia de dimensionamento",
    "regulatory",
    """
    ## Para quem é este guia

    Este guia orienta integradores na escolha de inversores para projetos comerciais e de pequenas
    indústrias, normalmente entre 30 kWp e 300 kWp: supermercados, padarias, oficinas, clínicas,
    escolas, galpões logísticos e propriedades rurais. Ele complementa os documentos sobre relação
    CC/CA (oversizing), compatibilidade entre módulos e inversores e limites de micro e minigeração.

    ## 1. Levante os dados da unidade consumidora

    - **Histórico de consumo de 12 meses** (kWh), para capturar a sazonalidade.
    - **Grupo tarifário:** grupo B (baixa tensão) ou grupo A (média tensão, com demanda contratada e
      tarifa horária). No grupo A, analise separadamente o consumo na ponta e fora de ponta.
    - **Tensão de atendimento e tipo de ligação:** 380/220 V trifásico, 220/127 V trifásico ou outra.
      Isso define a tensão de saída exigida do inversor.
    - **Potência disponibilizada ou demanda contratada,** que limita a potência da geração.
    - **Perfil de carga diurno:** negócios que consomem de dia aproveitam melhor a geração e reduzem
      o impacto do Fio B.
    - **Área disponível, tipo de telhado, sombreamento e orientação das águas.**

    ## 2. Estime a potência de módulos (kWp)

    Uma estimativa inicial usa a fórmula:

    potência (kWp) = consumo mensal médio (kWh) ÷ (HSP × 30 × PR)

    em que HSP é o número médio de horas de sol pleno do local e PR é a taxa de desempenho do
    sistema (tipicamente 0,75 a 0,82). Exemplo: um supermercado em Ribeirão Preto (SP) consome em
    média 18.000 kWh por mês. Com HSP de 5,3 e PR de 0,80, a potência necessária é de cerca de
    18.000 ÷ (5,3 × 30 × 0,80) ≈ 141 kWp. Depois, ajuste a potência ao número inteiro de módulos e à
    área disponível, e valide com software de simulação que considere sombreamento e perdas.

    ## 3. Defina a potência CA dos inversores

    A potência total dos inversores normalmente fica entre 75% e 90% da potência de módulos, o que
    corresponde a uma relação CC/CA de 1,1 a 1,35. No exemplo de 141 kWp, isso leva a algo entre 105 kW
    e 125 kW de inversores. Pontos de atenção:

    - **Enquadramento regulatório:** se a potência CA passar de 75 kW, o sistema deixa de ser
      microgeração e passa a minigeração, com processo mais exigente. Às vezes compensa limitar a
      potência CA em 75 kW e usar oversizing maior, desde que dentro do limite do fabricante.
    - **Limite do padrão de entrada:** a potência CA não pode exceder a potência disponibilizada
      (grupo B) ou a demanda contratada (grupo A) sem pedido de aumento.
    - **Clima local:** em regiões muito quentes, a geração de pico é menor e o oversizing pode ser
      maior; em regiões frias e de alta irradiância, seja mais conservador.

    ## 4. Um inversor grande ou vários menores?

    **Vários inversores menores** (por exemplo, dois de 50 kW e um de 15 kW):

    - redundância: se um falhar, o restante continua gerando;
    - melhor adaptação a telhados com várias orientações e sombreamentos diferentes;
    - manutenção e logística mais simples (equipamentos mais leves);
    - custo por kW um pouco maior.

    **Um único inversor maior** (por exemplo, um de 110 kW ou 125 kW):

    - menor custo por kW e menos pontos de conexão no lado CA;
    - quadro CA mais simples;
    - maior impacto em caso de falha, o que exige contrato de suporte ágil ou equipamento reserva.

    Para projetos comerciais até cerca de 150 kW, a combinação de dois ou três inversores costuma
    oferecer o melhor equilíbrio.

    ## 5. Verifique as entradas CC

    - **Número de MPPTs:** cada água de telhado com orientação ou inclinação diferente deve ficar em
      um MPPT próprio.
    - **Tensão:** Voc da série corrigida para a temperatura mínima local abaixo da tensão máxima de
      entrada (1.100 V é comum em inversores comerciais). Exemplo: módulo com Voc de 49,5 V e
      coeficiente de -0,27%/°C, a 5 °C, chega a cerca de 52,2 V; com limite de 1.100 V, a série pode
      ter no máximo 21 módulos.
    - **Faixa de MPPT:** a tensão de máxima potência da série em dias quentes deve permanecer acima do
      limite inferior do MPPT.
    - **Corrente:** a corrente de curto-circuito dos módulos, inclusive o ganho traseiro dos
      bifaciais, deve respeitar a corrente máxima por MPPT. Módulos modernos de alta potência exigem
      inversores com entradas de pelo menos 16 A a 20 A por string.

    ## 6. Verifique a saída CA e a conexão

    - Tensão de saída compatível com a rede do cliente. Em redes 220/127 V trifásicas, muitos
      inversores comerciais de 380 V exigem transformador ou a escolha de modelos específicos para
      220 V.
    - Fator de potência ajustável conforme a NBR 16149 e as exigências da distribuidora.
    - Em consumidores do grupo A, avalie a proteção do ponto de conexão e a coordenação com o relé
      da cabine primária.
    - Onde a distribuidora limitar a injeção, verifique se o inversor suporta controle de exportação
      (injeção zero) com medidor inteligente.

    ## 7. Considere os recursos e o pós-venda

    - monitoramento remoto com acesso para o integrador e o cliente;
    - grau de proteção IP65 ou superior para instalação externa;
    - funções de segurança como detecção de arco elétrico (AFCI), quando exigidas ou desejadas;
    - disponibilidade de estoque e peças no Brasil, garantia padrão e opções de extensão;
    - histórico de RMA do fabricante e qualidade do suporte técnico local.

    ## Exemplo resumido

    Supermercado em Ribeirão Preto (SP), grupo B trifásico 380/220 V, 141 kWp em módulos de 550 W
    (256 módulos). Opção A: dois inversores de 50 kW e um de 15 kW (115 kW CA, relação CC/CA de 1,23),
    caracterizando minigeração. Opção B: limitar a 75 kW CA com 97 kWp em módulos (relação 1,29),
    mantendo o enquadramento em microgeração e complementando o consumo com a fatura. A escolha
    depende do objetivo financeiro do cliente, do prazo de homologação e da área de telhado.

    ## Quando pedir ajuda

    O time técnico da Helio revisa gratuitamente a lista de materiais e a compatibilidade dos
    equipamentos de projetos comprados conosco. Envie a planilha de consumo, o layout do telhado e o
    modelo de módulo escolhido.
    """,
)

_add(
    "relacao-cc-ca-e-oversizing",
    "Relação CC/CA e oversizing: quanto de módulo cabe em cada inversor",
    "regulatory",
    """
    A relação CC/CA (ou DC/AC ratio) é a razão entre a potência de pico dos módulos (kWp) e a
    potência nominal CA do inversor (kW). Trabalhar com mais potência de módulos do que a do inversor
    — o oversizing — é prática comum e recomendada, porque os módulos raramente entregam a potência
    nominal: temperatura elevada, sujeira, perdas em cabos e irradiância abaixo de 1.000 W/m² reduzem
    a potência real na maior parte do tempo.

    **Valores usuais no Brasil:**

    - relação de 1,10 a 1,30 para a maioria dos projetos residenciais e comerciais;
    - até 1,40 ou 1,50 em regiões muito quentes ou em telhados com orientação desfavorável, quando o
      fabricante permite;
    - acima do limite do fabricante, nunca: o excesso pode sobrecarregar as entradas e anular a
      garantia.

    **Clipping.** Quando a potência CC disponível supera a capacidade do inversor, ele limita a saída
    (clipping). Um pouco de clipping ao meio-dia é aceitável se o ganho de geração nas demais horas
    compensar; simulações costumam indicar perdas anuais por clipping inferiores a 1% a 2% com
    relação até 1,3.

    **Limites técnicos a respeitar:** potência CC máxima declarada pelo fabricante (muitos aceitam
    130% a 150% da nominal), corrente máxima por MPPT e tensão máxima de entrada.

    **Exemplo:** um inversor de 50 kW com relação 1,25 comporta cerca de 62,5 kWp, ou 113 módulos de
    550 W.
    """,
)

_add(
    "compatibilidade-modulo-inversor",
    "Compatibilidade entre módulos e inversores: tensão, corrente e MPPT",
    "regulatory",
    """
    Antes de fechar um pedido com módulos e inversores, confira a compatibilidade elétrica em quatro
    pontos:

    1. **Tensão máxima:** número de módulos em série × Voc corrigida para a temperatura mínima do local
       deve ficar abaixo da tensão máxima de entrada do inversor (por exemplo, 600 V em alguns
       inversores monofásicos pequenos, 1.000 V ou 1.100 V nos trifásicos) e da tensão máxima de
       sistema do módulo.
    2. **Faixa de MPPT:** a tensão de operação da série (Vmp × número de módulos), inclusive em dias
       quentes, deve ficar dentro da faixa de MPPT e acima da tensão de partida.
    3. **Corrente por entrada:** a corrente de curto-circuito do módulo (Isc), ou a soma das séries em
       paralelo na mesma entrada, deve respeitar a corrente máxima de curto-circuito por MPPT.
       Módulos acima de 550 W costumam ter Isc acima de 13 A, o que exclui inversores antigos com
       entradas de 11 A a 12,5 A.
    4. **Potência:** a potência total de módulos deve respeitar a potência CC máxima admitida pelo
       inversor (relação CC/CA).

    **Tecnologias de módulo.** Módulos de filme fino (por exemplo, CdTe) têm tensões por módulo
    diferentes dos módulos cristalinos e podem exigir inversores compatíveis com a tecnologia e com
    o aterramento recomendado pelo fabricante. Verifique sempre a lista de compatibilidade.

    **Microinversores.** Cada microinversor atende um número fixo de módulos (1, 2 ou 4) e tem
    limites de potência e corrente por entrada; módulos muito potentes podem gerar clipping
    excessivo.

    O time técnico da Helio confere a compatibilidade sem custo ao montar a cotação.
    """,
)


# ---------------------------------------------------------------------------
# Consultas de referência (avaliação de busca): cada pergunta tem resposta
# clara em exatamente um documento.
# ---------------------------------------------------------------------------

RULE_GOLDEN_QUERIES: list[dict] = [
    {"query": "prazo de garantia de inversores", "slug": "garantia-inversores"},
    {
        "query": "quantos anos o fabricante garante que o painel solar não vai perder potência",
        "slug": "garantia-modulos-fotovoltaicos",
    },
    {
        "query": "meu inversor parou de funcionar, como mando ele para troca na garantia?",
        "slug": "processo-rma-equipamentos-defeituosos",
    },
    {
        "query": "o que faz eu perder a garantia se a instalação tiver conector de outra marca",
        "slug": "o-que-anula-a-garantia",
    },
    {
        "query": "em quantos dias úteis a mercadoria chega em Fortaleza ou Manaus",
        "slug": "prazos-de-entrega-por-regiao",
    },
    {
        "query": "chegou painel com vidro trincado no caminhão, o que eu faço antes de assinar o canhoto",
        "slug": "avarias-no-recebimento",
    },
    {
        "query": "posso mandar meu próprio caminhão buscar o pedido no galpão de Jundiaí?",
        "slug": "retirada-no-cd",
    },
    {
        "query": "painel solar paga ICMS? e o inversor tem isenção pelo convênio 101/97?",
        "slug": "impostos-icms-ipi-equipamentos-fotovoltaicos",
    },
    {
        "query": "até quando o preço que vocês me passaram continua valendo",
        "slug": "validade-da-cotacao",
    },
    {
        "query": "dá para dividir a compra em 10 vezes no cartão?",
        "slug": "pagamento-cartao-de-credito",
    },
    {
        "query": "a partir de quantos pallets de placas eu ganho abatimento no preço",
        "slug": "descontos-por-volume",
    },
    {
        "query": "como me cadastrar como revenda para comprar com preço de atacado",
        "slug": "politica-comercial-tabelas-b1-b3",
    },
    {
        "query": "quanto da tarifa de distribuição vou pagar sobre a energia injetada em 2026",
        "slug": "fio-b-e-transicao-tarifaria",
    },
    {
        "query": "qual a potência máxima para um sistema ainda ser considerado microgeração",
        "slug": "limites-de-micro-e-minigeracao",
    },
    {
        "query": "quais documentos e etapas para a concessionária aprovar e trocar o medidor do sistema solar",
        "slug": "homologacao-na-distribuidora",
    },
    {
        "query": "vou montar uma usina no telhado de um supermercado, um inversor grande ou vários pequenos?",
        "slug": "dimensionamento-inversor-projeto-comercial",
    },
    {
        "query": "o inversor precisa ter registro no Inmetro para ser vendido e aprovado na distribuidora?",
        "slug": "inmetro-portaria-140-2022",
    },
    {
        "query": "como pedir a exclusão dos meus dados pessoais e do meu CPF do cadastro",
        "slug": "lgpd-tratamento-de-dados-de-clientes",
    },
    {
        "query": "qual a chave oficial para pagar por pix sem cair em golpe",
        "slug": "pagamento-via-pix",
    },
    {
        "query": "meu boleto venceu, onde pego a segunda via?",
        "slug": "pagamento-boleto-bancario",
    },
    {
        "query": "errei a razão social, dá para corrigir com carta de correção na NF-e?",
        "slug": "emissao-de-nota-fiscal",
    },
    {
        "query": "quando preciso de fusível de string e seccionadora no lado de corrente contínua",
        "slug": "nbr-16690-instalacoes-arranjos-fotovoltaicos",
    },
    {
        "query": "qual o fator de potência e o tempo de anti-ilhamento exigidos do inversor na rede",
        "slug": "nbr-16149-16150-interface-com-a-rede",
    },
    {
        "query": "o microinversor tem garantia de quantos anos e cobre a mão de obra no telhado?",
        "slug": "garantia-microinversores",
    },
    {
        "query": "qual a diferença entre o frete contratado pela Helio e mandar a minha transportadora coletar",
        "slug": "frete-cif-e-fob",
    },
    {
        "query": "quais documentos preciso enviar para comprar a prazo com boleto 28/56/84",
        "slug": "analise-de-credito-e-faturamento-a-prazo",
    },
]
